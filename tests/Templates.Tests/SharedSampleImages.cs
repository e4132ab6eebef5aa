namespace Tend.Templates.Tests;

/// <summary>The test classes that run the samples' images share one build of each.</summary>
[CollectionDefinition(Name)]
public sealed class SharedSampleImages : ICollectionFixture<SampleImages>
{
    public const string Name = "Sample images";
}
