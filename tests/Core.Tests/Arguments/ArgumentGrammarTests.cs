using Tend.Arguments;
using Tend.Control;
using Tend.Export;

namespace Tend.Core.Tests.Arguments;

/// <summary>
/// One grammar for every argument: each flag of <c>tend --help</c>, <c>tend export --help</c>, <c>tend wait-for</c> and
/// the control verbs is read by <see cref="ArgumentReader"/> from its table — the same bool words, the same refusals in
/// the same words — and the README's option list is the table.
/// </summary>
[Trait("Category", "Unit")]
public class ArgumentGrammarTests
{
    /// <summary>Every table, by the command it belongs to, with a valid value for each flag that takes one.</summary>
    public static TheoryData<string, string> Flags()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in HostOptions.Options) data.Add("tend", f.Name);
        foreach (var f in ExportRequest.Flags) data.Add("export", f.Name);
        foreach (var f in WaitFor.Flags) data.Add("wait-for", f.Name);
        foreach (var v in ControlVerbs.All)
            foreach (var f in ControlClient.Flags(v))
                data.Add(v.Name, f.Name);
        return data;
    }

    private static IReadOnlyList<FlagSpec> Table(string command) => command switch
    {
        "tend" => HostOptions.Options,
        "export" => ExportRequest.Flags,
        "wait-for" => WaitFor.Flags,
        _ => ControlClient.Flags(ControlVerbs.Find(command)!),
    };

    /// <summary>Reads <paramref name="args"/> with the command's table: the flags and values read, or the refusal.</summary>
    private static (List<(string, string)> Read, string? Error) Read(string command, params string[] args)
    {
        var reader = new ArgumentReader(args, Table(command));
        var read = new List<(string, string)>();
        try
        {
            while (reader.Next(out var flag, out var value)) read.Add((flag?.Name ?? "", value));
            return (read, null);
        }
        catch (UsageException e) { return (read, e.Message); }
    }

    [Theory]
    [MemberData(nameof(Flags))]
    public void Every_flag_follows_the_one_grammar(string command, string name)
    {
        var flag = Table(command).Single(f => f.Name == name);
        if (flag.Arity == FlagArity.Bool)
        {
            // A switch alone, or with any bool word, inline or next; any other next word is not its value.
            Assert.Equal([(name, "true")], Read(command, name).Read);
            foreach (var (word, value) in new[] { ("yes", "true"), ("OFF", "false"), ("1", "true"), ("false", "false") })
            {
                Assert.Equal([(name, value)], Read(command, name, word).Read);
                Assert.Equal([(name, value)], Read(command, $"{name}={word}").Read);
            }
            Assert.Equal([(name, "true"), ("", "sleep 1")], Read(command, name, "sleep 1").Read);
            Assert.Equal($"option '{name}' got 'maybe': expected {OptionParsers.BooleanExpected}", Read(command, $"{name}=maybe").Error);
        }
        else
        {
            Assert.Equal([(name, "v")], Read(command, name, "v").Read);
            Assert.Equal([(name, "a=b")], Read(command, $"{name}=a=b").Read);
            Assert.Equal([(name, "--x")], Read(command, $"{name}=--x").Read);
            var missing = $"option '{name}' needs a value: give {flag.ValueName} after the option, or as {name}={flag.ValueName}";
            Assert.Equal(missing, Read(command, name).Error);
            Assert.Equal(missing, Read(command, name, "--other").Error);
        }
        var twice = Read(command, name, name == "--help" ? "true" : "v", name, name == "--help" ? "true" : "v");
        Assert.Equal(flag.Repeatable ? null : $"option '{name}' is given twice: give it once", twice.Error);
        // -- ends the flags, whatever follows.
        var reader = new ArgumentReader(["--", name], Table(command));
        Assert.False(reader.Next(out _, out _));
        Assert.Equal([name], reader.AfterDashes);
    }

    [Fact]
    public void Every_row_of_tends_table_is_handled_by_its_parser()
    {
        // A row without a case was silently ignored; now it would throw InvalidOperationException here.
        var values = new Dictionary<string, string>
        {
            ["--log-format"] = "json", ["--scan-interval"] = "1s", ["--stop-timeout"] = "1s", ["--cleanup-timeout"] = "1s",
                ["--kill-mode"] = "mixed",
            ["--restart"] = "never", ["--stdin"] = "a", ["--ready"] = "a=tcp:1", ["--ready-interval"] = "1s", ["--ready-timeout"] = "1s",
            ["--alive"] = "a=tcp:1", ["--alive-interval"] = "1s", ["--alive-timeout"] = "1s", ["--alive-failures"] = "2",
                ["--schedule"] = "a=@daily",
            ["--control-socket"] = "/tmp/x.sock", ["--drain-delay"] = "1s", ["--http"] = "127.0.0.1:9100", ["--log-buffer"] = "a=64KiB",
        };
        foreach (var f in HostOptions.Options.Where(f => f.Name is not ("--only" or "--without")))
        {
            var args = f.Arity == FlagArity.Bool ? new[] { f.Name } : [f.Name, values[f.Name]];
            var e = Record.Exception(() => HostOptions.Parse(args));
            Assert.True(e is null, $"{f.Name}: {e?.Message}");
        }
        Assert.Contains("selects declared services", Assert.Throws<UsageException>(() => HostOptions.Parse(["--only", "a"])).Message);
    }

    [Fact]
    public void The_same_words_from_every_parser()
    {
        // tend, export, wait-for and a control verb refuse a missing value and a repeated flag alike.
        Assert.Equal("option '--stop-timeout' needs a value: give DURATION after the option, or as --stop-timeout=DURATION",
            Assert.Throws<UsageException>(() => HostOptions.Parse(["--stop-timeout"])).Message);
        Assert.Equal("option '--image' needs a value: give IMAGE[:TAG] after the option, or as --image=IMAGE[:TAG]",
            Assert.Throws<UsageException>(() => ExportRequest.Parse(["export", "compose", "--image"], [])).Message);
        Assert.Equal("option '--image' is given twice: give it once",
            Assert.Throws<UsageException>(() => ExportRequest.Parse(["export", "compose", "--image", "a", "--image", "b"], [])).Message);
        Assert.Equal("option '--log-prefix' is given twice: give it once",
            Assert.Throws<UsageException>(() => HostOptions.Parse(["--log-prefix", "--log-prefix"])).Message);
        // The generated binder shares the same functions (OptionParsers.Value, BooleanValue, Twice).
        var i = 0;
        Assert.Equal("option '--web-port' needs a value: give VALUE after the option, or as --web-port=VALUE",
            Assert.Throws<UsageException>(() => OptionParsers.Value(["--web-port"], ref i, "--web-port", null)).Message);
        Assert.Equal("option '--x' is given twice: give it once", OptionParsers.Twice("--x").Message);
    }

    [Fact]
    public void A_bool_switch_of_tends_own_takes_the_bool_words_as_a_declared_bool_does()
    {
        Assert.True(HostOptions.Parse(["--log-prefix", "yes", "sleep 1"]).Supervisor.LogPrefix);
        Assert.Equal(["sleep 1"], HostOptions.Parse(["--log-prefix", "yes", "sleep 1"]).CommandLines);
        Assert.False(HostOptions.Parse(["--log-prefix=off"]).Supervisor.LogPrefix);
        Assert.True(HostOptions.Parse(["--critical=1"]).Critical);
    }
}
