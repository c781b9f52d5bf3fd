using CamStudio.Tests.Support;

namespace CamStudio.Tests;

/// <summary>xunit reads collection definitions per assembly: this assembly's torch tests share the one sequential collection too.</summary>
[CollectionDefinition(TorchCollection.Name, DisableParallelization = true)]
public sealed class TorchCollectionDefinition;
