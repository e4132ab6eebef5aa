namespace Tend.Templates.Tests;

/// <summary>
/// What a new user does, once per test run: both packages packed with a unique version into a folder feed,
/// the template installed into a private hive, `dotnet new tend`, and `podman build` of the project as it stands
/// (plus a nuget.config and the feed, since this test's Tend is not on nuget.org).
/// </summary>
public sealed class TemplateImage : IDisposable
{
    public string Work { get; }
    public string Hive { get; }
    public string Feed { get; }
    public string Project { get; }
    public string Version { get; }
    public string Image { get; }
    public string BuildOutput { get; }

    public TemplateImage()
    {
        Assert.True(Shell.Try("/", "podman", "--version").Code == 0, "podman is missing: run ../shared/containers/setup.sh (.ci/run does)");
        Work = Directory.CreateTempSubdirectory("tend-template-").FullName;
        Version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        Image = $"localhost/tend-template-test:{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}";
        Hive = Path.Combine(Work, "hive");
        Feed = Path.Combine(Work, "feed");
        var root = Shell.RepoRoot;
        Shell.Run(root, "dotnet", "pack", "src/Core/Tend.csproj", "-c", "Release", "-o", Feed, $"-p:Version={Version}", "-nologo");
        Shell.Run(root, "dotnet", "pack", "src/Templates/Tend.Templates.csproj", "-c", "Release", "-o", Feed, $"-p:Version={Version}", "-nologo");
        Shell.Run(Work, "dotnet", "new", "install", Path.Combine(Feed, $"Tend.Templates.{Version}.nupkg"), "--debug:custom-hive", Hive);
        Shell.Run(Work, "dotnet", "new", "tend", "-n", "MyImage", "-o", "MyImage", "--HeartbeatSeconds", "1", "--debug:custom-hive", Hive);
        Project = Path.Combine(Work, "MyImage");
        // The template's default version is the one packed with it.
        Assert.Contains($"Version=\"{Version}\"", File.ReadAllText(Path.Combine(Project, "MyImage.csproj")));
        CopyDirectory(Feed, Path.Combine(Project, "feed"));
        File.WriteAllText(Path.Combine(Project, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="feed" />
              </packageSources>
            </configuration>
            """);
        BuildOutput = Shell.Run(Project, "podman", "build", "--format", "docker", "-t", Image, ".");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    public void Dispose()
    {
        Shell.Try("/", "podman", "rmi", "-f", Image);
        Directory.Delete(Work, recursive: true);
    }
}
