using System.Security.Cryptography;
using System.Text;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>
/// Models folders whose "mobilenetv2" is another file than the test models' (so another SHA-256): the shared ONNX
/// model with a <c>doc_string</c> (ModelProto field 6) appended, which protobuf merges into the same model.
/// </summary>
public static class ModelVariants
{
    /// <summary>A models folder holding the variant <paramref name="tag"/> of the default model.</summary>
    public static string Folder(string tag)
    {
        string root = Path.Combine(Path.GetTempPath(), "camstudio-cluster-tests", "models-" + tag);
        string onnx = Path.Combine(root, "source", "mobilenetv2.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(onnx)!);
        byte[] doc = Encoding.UTF8.GetBytes("variant " + tag);
        File.WriteAllBytes(onnx, [.. File.ReadAllBytes(SharedResources.Model), 0x32, (byte)doc.Length, .. doc]);
        string folder = Path.Combine(root, "models");
        var catalog = new ModelCatalog(folder);
        Exception? error = null;
        // Add loads the model to validate it: on a thread of its own, as the engine's torch thread would.
        var thread = new Thread(() =>
        {
            try
            {
                catalog.Add(onnx, new AddModelOptions { Name = TestModels.DefaultModel, Labels = SharedResources.ImageNetLabels, IfMissing = true });
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        return error is null ? folder : throw new InvalidOperationException($"Could not make the model variant {tag}: {error.Message}", error);
    }

    /// <summary>The SHA-256 of the default model's file in a models folder, computed here (not by the catalog).</summary>
    public static string Sha256In(string modelsFolder)
    {
        string file = Directory.EnumerateFiles(Path.Combine(modelsFolder, TestModels.DefaultModel), "*.onnx").Single();
        return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
    }
}
