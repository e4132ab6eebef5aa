using Tend.Arguments;

namespace Tend.Tests;

[Trait("Category", "Unit")]
public class ShellWordsTests
{
    [Theory]
    [InlineData("/usr/sbin/sshd", new[] { "/usr/sbin/sshd" })]
    [InlineData("/etc/init.d/apache2 start", new[] { "/etc/init.d/apache2", "start" })]
    [InlineData("  a   b\tc  ", new[] { "a", "b", "c" })]
    [InlineData("sh -c 'echo \"hi there\"; exit 3'", new[] { "sh", "-c", "echo \"hi there\"; exit 3" })]
    [InlineData("echo \"a \\\"b\\\" \\$HOME \\x\"", new[] { "echo", "a \"b\" $HOME \\x" })]
    [InlineData("echo a\\ b c\\'d", new[] { "echo", "a b", "c'd" })]
    [InlineData("echo '' \"\" x", new[] { "echo", "", "", "x" })]
    [InlineData("echo $HOME `id` *", new[] { "echo", "$HOME", "`id`", "*" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    public void Splits_like_a_shell_without_expanding(string line, string[] expected) =>
        Assert.Equal(expected, ShellWords.Split(line));

    [Theory]
    [InlineData("echo 'x", "unbalanced single quote at position 6")]
    [InlineData("echo \"x", "unbalanced double quote at position 6")]
    [InlineData("echo x\\", "trailing backslash")]
    [InlineData("   ", "empty")]
    [InlineData("'' x", "program name is empty")]
    public void Rejects_what_a_shell_would_reject(string line, string message)
    {
        var e = Assert.Throws<FormatException>(() => ShellWords.Split(line));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("it's")]
    [InlineData("")]
    [InlineData("$HOME \"q\" \\")]
    public void Quote_round_trips(string word) => Assert.Equal([word], ShellWords.Split("x " + ShellWords.Quote(word)).Skip(1));

    [Fact]
    public void Command_parse_takes_the_basename_as_in_the_seed()
    {
        var c = Command.Parse("/etc/init.d/apache2 start");
        Assert.Equal("/etc/init.d/apache2", c.Executable);
        Assert.Equal(["start"], c.Arguments.ToArray());
        Assert.Equal("apache2", c.BaseName);
        Assert.Equal("/etc/init.d/apache2 start", c.ToString());
    }
}
