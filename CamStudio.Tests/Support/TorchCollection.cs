namespace CamStudio.Tests.Support;

/// <summary>Tests that run TorchSharp share one sequential collection: grad mode and tensor counts are process-wide.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "Torch";
}
