namespace Tend.Templates.Tests;

/// <summary>
/// The samples' images, each built once per test run from the repository with Dockerfile.template (a NativeAOT
/// build takes minutes on two cores) and shared by the tests that run them; removed at the end.
/// </summary>
public sealed class SampleImages : IDisposable
{
    private readonly Dictionary<string, string> _built = [];

    /// <summary>The image of <c>samples/NAME</c>, built on first use.</summary>
    public string Of(string sample)
    {
        lock (_built)
        {
            if (_built.TryGetValue(sample, out var image)) return image;
            image = Engine.NewImage(sample.ToLowerInvariant());
            // Dockerfile.template installs nothing by default: the sample's README gives the packages it runs.
            string[] packages = sample == "ApacheSsh" ? ["--build-arg", "PACKAGES=openssh-server apache2"] : [];
            Engine.Build(Shell.RepoRoot, image, ["-f", "Dockerfile.template", "--build-arg", $"PROJECT=samples/{sample}", .. packages]);
            _built[sample] = image;
            return image;
        }
    }

    public void Dispose()
    {
        foreach (var image in _built.Values) Engine.Remove(image: image);
    }
}
