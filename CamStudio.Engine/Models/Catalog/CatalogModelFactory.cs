using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Catalog;

/// <summary>Builds an <see cref="ICamModel"/> from a manifest: ONNX import, or torchvision architecture + weights.</summary>
internal static class CatalogModelFactory
{
    public static IReadOnlyList<string> Architectures => TorchVisionModels.Names;

    public static bool IsArchitecture(string name) => TorchVisionModels.IsKnown(name);

    public static ICamModel Create(ModelManifest manifest, string directory, IReadOnlyList<string>? labels, Device device)
    {
        string file = Path.Combine(directory, manifest.File);
        return manifest.Format == ModelFormat.Onnx
            ? CreateOnnx(file, manifest.Preprocessing, labels, device, manifest.Name)
            : CreateTorchVision(manifest.Architecture!, file, manifest.Preprocessing, labels, device, manifest.Name);
    }

    public static ICamModel CreateOnnx(string file, PreprocessingSpec spec, IReadOnlyList<string>? labels, Device device, string name) =>
        OnnxCamModel.Load(file, labels, spec, device, name);

    public static ICamModel CreateTorchVision(string architecture, string weights, PreprocessingSpec spec, IReadOnlyList<string>? labels, Device device, string name) =>
        TorchVisionModels.CreateCamModel(architecture, weights, labels, spec, device, name);
}
