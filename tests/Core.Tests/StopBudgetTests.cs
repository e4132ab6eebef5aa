using Tend.Supervision;

namespace Tend.Tests;

/// <summary>The warning at start when a stop cannot fit in docker stop's default 10 s.</summary>
[Trait("Category", "Unit")]
public class StopBudgetTests
{
    private static ServiceSpec S(string name, double seconds, params string[] deps) =>
        new(name, new Command("/bin/" + name)) { StopTimeout = TimeSpan.FromSeconds(seconds), DependsOn = deps };

    [Fact]
    public void Stop_timeouts_that_fit_give_no_warning() =>
        Assert.Null(StopBudget.Warning(new ServiceTable([S("db", 5), S("web", 5, "db"), S("cron", 9)])));

    [Fact]
    public void A_chain_in_reverse_dependency_order_that_exceeds_10s_is_named_with_its_total()
    {
        var table = new ServiceTable([S("db", 6), S("app", 3, "db"), S("web", 2, "app"), S("cron", 9)]);
        var (total, chain) = StopBudget.Longest(table);
        Assert.Equal(TimeSpan.FromSeconds(11), total);
        Assert.Equal(["web", "app", "db"], chain);
        var warning = StopBudget.Warning(table)!;
        Assert.Contains("the services web → app → db stop one after the other, in up to 11s", warning);
        Assert.Contains("docker stop --time 22", warning);
    }

    [Fact]
    public void One_long_stop_timeout_is_named()
    {
        var warning = StopBudget.Warning(new ServiceTable([S("db", 30)]))!;
        Assert.StartsWith("warning: service 'db' has a stop timeout of 30s, more than the 10s docker stop gives", warning);
    }

    [Fact]
    public void A_one_shot_set_up_task_adds_nothing_its_dependents_start_after_it_completed()
    {
        var keys = S("keys", 10) with { OneShot = true };
        var table = new ServiceTable([keys, S("sshd", 8, "keys")]);
        var (total, chain) = StopBudget.Longest(table);
        Assert.Equal(TimeSpan.FromSeconds(8), total);
        Assert.Equal(["sshd"], chain);
        Assert.Null(StopBudget.Warning(table));
    }
}
