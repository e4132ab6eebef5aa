using Tend.Logging;

namespace Tend.Tests;

/// <summary>
/// A published Tend is built with UseSystemResourceKeys: a runtime exception's message is then its resource key. Every
/// line Tend prints goes through <see cref="PlainMessage"/>, which keeps Tend's own messages and puts plain words in
/// place of a key.
/// </summary>
[Trait("Category", "Unit")]
public class PlainMessageTests
{
    [Theory]
    [InlineData("UnauthorizedAccess_IODenied_Path, /run/tend")]
    [InlineData("IO_FileNotFound_FileName, /etc/x")]
    [InlineData("Arg_ParamName_Name, path")]
    [InlineData("Format_InvalidString")]
    public void A_resource_key_is_found(string message) => Assert.True(PlainMessage.HasResourceKey(message));

    [Theory]
    [InlineData("option '--alive-failures' got 'x': expected a whole number of at least 1, such as 3")]
    [InlineData("set TEND_SSHD_PORT or RLIMIT_NOFILE, see $XDG_RUNTIME_DIR")]
    [InlineData("service 'my_service' (/usr/bin/my_tool) failed")]
    [InlineData("cannot create the directory /run/tend: Permission denied")]
    public void Plain_words_names_and_variables_are_not_keys(string message) => Assert.False(PlainMessage.HasResourceKey(message));

    [Fact]
    public void A_key_becomes_plain_words_with_its_argument()
    {
        Assert.Equal("permission denied (/run/tend)",
            PlainMessage.Of(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /run/tend")));
        Assert.Equal("No such file or directory", PlainMessage.Of(new IOException("IO_PathNotFound_NoPathName", 2)));
        Assert.Equal("not in the expected format", PlainMessage.Of(new FormatException("Format_InvalidString")));
        Assert.Equal("a message of Tend's own", PlainMessage.Of(new IOException("a message of Tend's own")));
    }

    [Fact]
    public void Tend_prints_no_exception_message_but_through_PlainMessage()
    {
        // Every place in src/Core that puts an exception's Message into text goes through PlainMessage.Of (or is a
        // message Tend made itself: an event's text, a SocketFailure, which says strerror's words).
        var root = Path.Combine(TendRun.RepoRoot, "src/Core");
        var offenders = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/") && !f.EndsWith("PlainMessage.cs", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((l, i) => (File: Path.GetRelativePath(root, f), Line: i + 1, Text: l.Trim())))
            .Where(l => !l.Text.StartsWith("///", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(l.Text,
                @"\b(e|x|ex|error)\.Message\b"))
            .Where(l => !l.Text.Contains("e.Event, e.Message", StringComparison.Ordinal) && !l.Text.Contains("End(a, false, e.Message)",
                StringComparison.Ordinal))
            // OptionParsers.Describe reads the raw message and replaces a resource key itself (StartChecksTests checks it).
            .Where(l => !l.Text.Contains("var text = e.Message; // read raw", StringComparison.Ordinal))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}")
            .ToList();
        Assert.True(offenders.Count == 0,
            "an exception's message printed as it is (a resource key in a published binary):\n" + string.Join('\n', offenders));
    }
}
