using System.Diagnostics;
using System.IO.Compression;

namespace Tend.Generators.Tests;

/// <summary>
/// The `Tend` package as a user gets it: packed with a unique version (a re-packed version would be served stale
/// from the NuGet cache) into a folder feed; a fresh console project references it, declares a service, builds,
/// runs, and publishes NativeAOT without a single trim or AOT warning.
/// </summary>
public class PackageTests
{
    [Fact]
    public void A_fresh_project_uses_the_package_and_publishes_NativeAOT_without_warnings()
    {
        var root = FindRoot();
        var work = Directory.CreateTempSubdirectory("tend-pkg-");
        try
        {
            var version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
            var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed")).FullName;
            Run(root, "dotnet", "pack", "src/Core/Tend.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}", "-nologo");

            var nupkg = Path.Combine(feed, $"Tend.{version}.nupkg");
            using (var zip = ZipFile.OpenRead(nupkg))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net10.0/Tend.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Tend.Generators.dll", entries);
                var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open()).ReadToEnd();
                // One dependency only: Cronos, for scheduled tasks (issue 18: a well-kept parser rather than our own).
                var dependencies = System.Text.RegularExpressions.Regex.Matches(nuspec,
                    "<dependency id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
                Assert.Equal(["Cronos"], dependencies);
            }

            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "MyImage")).FullName;
            File.WriteAllText(Path.Combine(app, "MyImage.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <PublishAot>true</PublishAot>
                    <InvariantGlobalization>true</InvariantGlobalization>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Tend" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), "return TendApp.Run(args);\n");
            File.WriteAllText(Path.Combine(app, "Services.cs"), """
                using System;
                using Tend;

                /// <summary>Says hello once.</summary>
                [Service("hello", OneShot = true)]
                public partial class Hello
                {
                    /// <summary>Whom to greet.</summary>
                    [Option] public string Name { get; init; } = "world";
                    [Option] public TimeSpan Delay { get; init; } = TimeSpan.Zero;
                    public Command Command => new("/bin/sh", "-c", $"sleep {Delay.TotalSeconds}; echo hello, {Name}");
                }
                """);

            Run(app, "dotnet", "build", "-c", "Release", "-nologo");
            var help = Run(app, "dotnet", "bin/Release/net10.0/MyImage.dll", "--help");
            Assert.Contains("--hello-name STRING", help);
            Assert.Contains("Whom to greet. (default: world; env TEND_HELLO_NAME)", help);
            var output = Run(app, "dotnet", "bin/Release/net10.0/MyImage.dll", "--hello-name", "Tend", "--hello-delay", "10ms");
            Assert.Contains("hello, Tend", output);

            var publish = Run(app, "dotnet", "publish", "-c", "Release", "-o", "out", "-nologo");
            Assert.DoesNotContain("warning IL", publish);
            Assert.DoesNotContain("warning", publish, StringComparison.OrdinalIgnoreCase);
            var native = Run(app, Path.Combine(app, "out/MyImage"), "--hello-name", "AOT");
            Assert.Contains("hello, AOT", native);
        }
        finally { work.Delete(true); }
    }

    private static string Run(string dir, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), $"{file} {string.Join(' ', args)} hung");
        var text = stdout.Result + stderr.Result;
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{text}");
        return text;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Framework.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }
}
