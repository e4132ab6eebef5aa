using Tend.Posix;

namespace Tend.Tests;

[Trait("Category", "Unit")]
public sealed class UsersTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tend-users-");
    private string Passwd => Path.Combine(_dir.FullName, "passwd");
    private string Group => Path.Combine(_dir.FullName, "group");

    public UsersTests()
    {
        File.WriteAllText(Passwd, "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www:/var/www:/usr/sbin/nologin\n");
        File.WriteAllText(Group, "root:x:0:\nwww-data:x:33:\nadm:x:4:\n");
    }

    public void Dispose() => _dir.Delete(true);

    [Theory]
    [InlineData("www-data", 33, 33, "www-data")]
    [InlineData("33", 33, 33, "www-data")]
    [InlineData("www-data:adm", 33, 4, "www-data")]
    [InlineData("1234", 1234, 1234, null)]
    [InlineData("1234:5", 1234, 5, null)]
    public void Resolves_names_and_numbers(string spec, int uid, int gid, string? name) =>
        Assert.Equal(new UserIdentity(uid, gid, name), UserIdentity.Resolve(spec, Passwd, Group));

    [Fact]
    public void Unknown_names_say_what_to_do()
    {
        Assert.Contains("user 'nope' does not exist", Assert.Throws<ArgumentException>(() => UserIdentity.Resolve("nope", Passwd,
            Group)).Message);
        Assert.Contains("group 'staff' does not exist", Assert.Throws<ArgumentException>(() => UserIdentity.Resolve("www-data:staff",
            Passwd, Group)).Message);
    }
}
