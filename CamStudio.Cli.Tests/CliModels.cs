using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

/// <summary>
/// One models folder for the CLI tests, filled once per test run through the CLI itself (<c>models add</c>):
/// <c>pets</c> and <c>pets-crop</c> (seeded resnet18, 5 classes, 64×64 input; stretch and centre crop) and
/// <c>mobilenetv2</c> (the shared int8 ONNX model with the ImageNet labels).
/// </summary>
public sealed class CliModels
{
    private static readonly Lazy<CliModels> Instance = new(() => new CliModels(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly TempFolder _folder = TempFolder.ForThisProcess("camstudio-cli-tests");
    private readonly ResNetWeightsFixture _weights;

    private CliModels()
    {
        // Best effort: a test host that is killed skips this, and the next run's ForThisProcess removes the folder.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _folder.Dispose();
        _weights = new ResNetWeightsFixture(new TempFolder(_folder.Combine("weights"), existing: true));
        ModelsDir = _folder.Combine("models");
        AddPets = CliRun.Invoke(ModelsDir, "models", "add", _weights.WeightsPath, "--arch", "resnet18", "--input-size", "64",
            "--labels", _weights.LabelsPath, "--name", "pets");
        AddPetsCrop = CliRun.Invoke(ModelsDir, "models", "add", _weights.WeightsPath, "--arch", "resnet18", "--input-size", "64",
            "--labels", _weights.LabelsPath, "--name", "pets-crop", "--resize", "center-crop");
        AddMobileNet = CliRun.Invoke(ModelsDir, "models", "add", SharedResources.Model, "--labels", SharedResources.ImageNetLabels,
            "--name", "mobilenetv2");
    }

    public static CliModels Shared => Instance.Value;

    public string ModelsDir { get; }

    public string WeightsPath => _weights.WeightsPath;

    public string LabelsPath => _weights.LabelsPath;

    public CliRun AddPets { get; }

    public CliRun AddPetsCrop { get; }

    public CliRun AddMobileNet { get; }
}
