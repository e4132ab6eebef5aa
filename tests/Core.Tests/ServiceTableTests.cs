namespace Tend.Tests;

[Trait("Category", "Unit")]
public class ServiceTableTests
{
    private static ServiceSpec S(string name, params string[] deps) => new(name, new Command("/bin/true")) { DependsOn = deps };

    [Fact]
    public void Resolves_dependencies_to_indices_both_ways()
    {
        var t = new ServiceTable([S("db"), S("web", "db"), S("worker", "db", "web")]);
        Assert.Equal([0], t.Dependencies[1].ToArray());
        Assert.Equal([1, 2], t.Dependents[0].ToArray());
        Assert.Equal([2], t.Dependents[1].ToArray());
    }

    [Fact]
    public void Names_the_cycle()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServiceTable([S("a", "c"), S("b", "a"), S("c", "b")]));
        Assert.Contains("a -> c -> b -> a", e.Message);
    }

    [Fact]
    public void Rejects_unknown_dependency_and_duplicate_names()
    {
        Assert.Contains("depends on 'nope'", Assert.Throws<ArgumentException>(() => new ServiceTable([S("a", "nope")])).Message);
        Assert.Contains("two services are named 'a'", Assert.Throws<ArgumentException>(() => new ServiceTable([S("a"), S("a")])).Message);
    }
}
