namespace Tend.Templates.Tests;

/// <summary>
/// What a new user does, once per test run, exactly as the README says: a clean copy of the clone (the files git
/// tracks or would add; no bin/, obj/ or artifacts/), then the commands of the README's "A new image" block run as
/// written by bash in it — `bash scripts/pack.sh`, `dotnet new install`, `dotnet new tend`, `dotnet build` — with
/// two differences a user does not see: `dotnet new` uses a private template hive (--debug:custom-hive), and NuGet
/// an empty package folder of its own (so no package of the same version cached by an earlier run is used). The
/// block's docker lines run separately, through <see cref="Engine"/>, on the project exactly as it was made.
/// </summary>
public sealed class TemplateImage : IDisposable
{
    public string Work { get; }
    public string Clone { get; }
    public string Hive { get; }
    public string Project { get; }
    public string ReadmeOutput { get; }
    public string Help { get; }

    private readonly Lazy<(string Minimal, string Seed)> _images;

    /// <summary>The generated project's image, built on first use with its own Dockerfile, as it stands (minimal).</summary>
    public string Image => _images.Value.Minimal;

    /// <summary>
    /// The image for the seed's flow: the project's Dockerfile with the marked place's example line uncommented, as the
    /// Dockerfile tells a user to. Built with <see cref="Image"/>, whose build stage it takes from the cache.
    /// </summary>
    public string SeedImage => _images.Value.Seed;

    /// <summary>The marked place's example, commented out in the Dockerfile as it is made.</summary>
    public const string SeedPackagesLine = "ARG PACKAGES=\"openssh-server apache2\"";

    public TemplateImage()
    {
        Work = Directory.CreateTempSubdirectory("tend-template-").FullName;
        Clone = Path.Combine(Work, "clone");
        Hive = Path.Combine(Work, "hive");
        CopyCleanClone(Shell.RepoRoot, Clone);

        var commands = ReadmeNewImageBlock(File.ReadAllText(Path.Combine(Clone, "README.md")))
            .Where(l => !l.TrimStart().StartsWith("docker ", StringComparison.Ordinal)).ToList();
        Assert.Contains(commands, l => l.Contains("dotnet new install"));
        Assert.Contains(commands, l => l.Contains("dotnet build"));
        var script = string.Join('\n',
        [
            "set -euxo pipefail",
            "dotnet() { if [ \"${1:-}\" = new ]; then command dotnet \"$@\" --debug:custom-hive \"$TEND_TEST_HIVE\"; else command dotnet " +
                "\"$@\"; fi; }",
            .. commands,
        ]);
        var environment = new Dictionary<string, string> { ["TEND_TEST_HIVE"] = Hive, ["NUGET_PACKAGES"] = Path.Combine(Work,
            "nuget-packages") };
        ReadmeOutput = Shell.Run(Clone, environment, "bash", "-c", script);
        Project = Path.Combine(Work, "MyImage");
        Help = Shell.Run(Project, "dotnet", "bin/Debug/net10.0/MyImage.dll", "--help");
        _images = new Lazy<(string, string)>(() =>
        {
            var image = Engine.NewImage("template");
            var seed = Engine.NewImage("template-seed");
            var (code, output) = Engine.TryBuildKeepingSteps(Project, image);
            var seedOutput = "";
            try
            {
                Assert.True(code == 0, $"{Engine.Name} build of {image} exited {code}:\n{output}");
                var dockerfile = File.ReadAllText(Path.Combine(Project, "Dockerfile"));
                Assert.Contains($"\n# {SeedPackagesLine}\n", dockerfile);
                var seedFile = Path.Combine(Work, "Dockerfile.seed"); // outside the context: the build stage's COPY stays cached
                File.WriteAllText(seedFile, dockerfile.Replace($"\n# {SeedPackagesLine}\n", $"\n{SeedPackagesLine}\n"));
                (code, seedOutput) = Engine.TryBuildKeepingSteps(Project, seed, "-f", seedFile);
                Assert.True(code == 0, $"{Engine.Name} build of {seed} exited {code}:\n{seedOutput}");
            }
            catch
            {
                Engine.Remove(image: seed);
                Engine.Remove(image: image);
                throw;
            }
            finally
            {
                Engine.RemoveUnnamedImages(seedOutput);
                Engine.RemoveUnnamedImages(output);
            }
            return (image, seed);
        });
    }

    /// <summary>The lines of the code block under the README's "## A new image" heading.</summary>
    public static List<string> ReadmeNewImageBlock(string readme)
    {
        var lines = readme.Split('\n');
        var heading = Array.FindIndex(lines, l => l.StartsWith("## A new image", StringComparison.Ordinal));
        Assert.True(heading >= 0, "the README has no '## A new image' section");
        var open = Array.FindIndex(lines, heading, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return lines[(open + 1)..close].Where(l => l.Trim().Length > 0).ToList();
    }

    /// <summary>What `git clone` of this checkout would give, with the working tree's changes: tracked and addable files.</summary>
    private static void CopyCleanClone(string root, string to)
    {
        var files = Shell.Run(root, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Split('\0',
            StringSplitOptions.RemoveEmptyEntries);
        foreach (var f in files)
        {
            var source = Path.Combine(root, f);
            if (!File.Exists(source)) continue; // deleted in the working tree
            var target = Path.Combine(to, f);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        }
    }

    public void Dispose()
    {
        if (_images.IsValueCreated) Engine.Remove(image: _images.Value.Minimal);
        if (_images.IsValueCreated) Engine.Remove(image: _images.Value.Seed);
        Directory.Delete(Work, recursive: true);
    }
}
