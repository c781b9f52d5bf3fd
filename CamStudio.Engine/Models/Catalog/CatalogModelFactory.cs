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
            ? CreateOnnx(file, manifest.Preprocessing, labels, device, manifest.Name, manifest.Output)
            : CreateTorchVision(manifest.Architecture!, file, manifest.Preprocessing, labels, device, manifest.Name);
    }

    /// <param name="output">The graph output holding the logits (null: CamStudio's rule, see <c>OnnxOutputChoice</c>).</param>
    /// <param name="sizeFromModel">No size was given: a fixed input size in the graph replaces the spec's.</param>
    public static ICamModel CreateOnnx(string file, PreprocessingSpec spec, IReadOnlyList<string>? labels, Device device, string name,
        string? output = null, bool sizeFromModel = false) =>
        OnnxCamModel.Load(file, labels, spec, device, name, new OnnxImportOptions { Output = output }, sizeFromModel);

    public static ICamModel CreateTorchVision(string architecture, string weights, PreprocessingSpec spec, IReadOnlyList<string>? labels, Device device, string name) =>
        TorchVisionModels.CreateCamModel(architecture, weights, labels, spec, device, name);
}
