using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// An imported classifier takes the input size its graph declares (inception_v3's 299×299) unless one is given, a
/// given size that the graph refuses is a clear error, and of several graph outputs the logits are picked by name, by
/// being the only 2-D one, or as the user names them.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxInputSizeAndOutputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("camstudio-onnx-size-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, OnnxGraphBuilder graph)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, graph.Bytes());
        return path;
    }

    /// <summary>GAP → Gemm to 5 classes: logits[n, k] = Σ_c w[k, c]·mean(x[n, c]) + b[k], so the class count is known.</summary>
    private static OnnxGraphBuilder Classifier(long[] inputShape) => new OnnxGraphBuilder(13, inputShape: inputShape)
        .Float("w", Enumerable.Range(0, 15).Select(i => i * 0.1f - 0.7f).ToArray(), 5, 3).Float("b", [0.5f, 0f, -0.5f, 1f, 2f], 5)
        .Node("GlobalAveragePool", ["x"], "pooled").Node("Flatten", ["pooled"], "flat")
        .Node("Gemm", ["flat", "w", "b"], "logits", Int("transB", 1));

    [Fact]
    public void AFixedInputSizeInTheGraphIsTheModelsOwnWhenNoneIsGiven()
    {
        string path = Write("inception_like.onnx", Classifier([-1, 3, 299, 299]).Output("logits", -1, 5));
        Assert.Equal((299, 299), OnnxInputSize.Declared(path));

        using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true);
        Assert.Equal((299, 299), (model.Preprocessing.InputWidth, model.Preprocessing.InputHeight));
        Assert.Equal([1L, 3, 299, 299], model.Layers.Single(l => l.Name == "x").Shape);
        using var scope = NewDisposeScope();
        using ModelRun run = model.Run(torch.ones(2, 3, 299, 299), "x", trackGradients: false);
        // mean(x) = 1 per channel: logits[k] = Σ_c w[k, c] + b[k].
        float[] expected = Enumerable.Range(0, 5).Select(k => Enumerable.Range(0, 3).Sum(c => (k * 3 + c) * 0.1f - 0.7f) + new[] { 0.5f, 0f, -0.5f, 1f, 2f }[k]).ToArray();
        Assert.Equal(expected, run.Logits[1].data<float>().ToArray(), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void ADynamicInputSizeKeepsTheGivenSize()
    {
        string path = Write("dynamic.onnx", Classifier([-1, 3, -1, -1]).Output("logits", -1, 5));
        Assert.Null(OnnxInputSize.Declared(path));
        using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(160), CPU, sizeFromModel: true);
        Assert.Equal((160, 160), (model.Preprocessing.InputWidth, model.Preprocessing.InputHeight));
    }

    [Fact]
    public void TheCatalogTakesTheModelsOwnSizeAndAWrongGivenSizeIsAClearError()
    {
        string path = Write("inception_like.onnx", Classifier([-1, 3, 299, 299]).Output("logits", -1, 5));
        var catalog = new ModelCatalog(Path.Combine(_folder, "models"));

        AddModelResult added = catalog.Add(path, new AddModelOptions { Name = "inception" });
        Assert.Equal(299, added.Entry.Manifest!.InputSize);
        using (ICamModel model = catalog.Load("inception", CPU))
            Assert.Equal(299, model.Preprocessing.InputWidth);
        using (ICamModel bare = catalog.Load(path, CPU))
            Assert.Equal(299, bare.Preprocessing.InputWidth);

        var wrong = Assert.Throws<ModelCatalogException>(() => catalog.Add(path, new AddModelOptions { Name = "wrong", InputSize = 224 }));
        Assert.Equal("inception_like.onnx takes input 'x' of shape N×3×299×299, which does not fit N×3×224×224 photos: the model takes " +
                     "299×299 photos, so set its input size to 299 (manifest field 'inputSize', 'models add --input-size 299') or leave the " +
                     "size out to use the model's own.", wrong.Message);

        // A manifest edited to the wrong size is refused the same way when the model loads.
        string manifest = Path.Combine(added.Entry.Directory, ModelManifest.FileName);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"inputSize\": 299", "\"inputSize\": 256", StringComparison.Ordinal));
        var edited = Assert.Throws<ModelCatalogException>(() => catalog.Load("inception", CPU).Dispose());
        Assert.Contains("which does not fit N×3×256×256 photos: the model takes 299×299 photos", edited.Message);
    }

    [Fact]
    public void TheOutputNamedLogitsIsTheModelsOutputWhereverItIsListed()
    {
        string path = Write("two_outputs.onnx", Classifier([-1, 3, 8, 8]).Output("pooled", -1, 3, 1, 1).Output("logits", -1, 5));
        using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(8), CPU);
        Assert.Equal(5, model.ClassCount);
        Assert.Equal("logits", model.Graph.Outputs[0]);
    }

    [Fact]
    public void TheOnly2DOutputIsTheLogitsWhenNoneIsNamedSo()
    {
        string path = Write("unnamed.onnx", Classifier([-1, 3, 8, 8]).Node("Identity", ["logits"], "scores")
            .Output("pooled", -1, 3, 1, 1).Output("scores", -1, 5));
        using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(8), CPU);
        Assert.Equal(("scores", 5L), (model.Graph.Outputs[0], model.ClassCount));
    }

    [Fact]
    public void SeveralCandidateOutputsNeedTheUserToNameTheLogits()
    {
        string path = Write("ambiguous.onnx", Classifier([-1, 3, 8, 8]).Node("Softmax", ["logits"], "probabilities")
            .Output("probabilities", -1, 5).Output("flat", -1, 3));
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(8), CPU).Dispose());
        Assert.Equal("ambiguous.onnx has 2 outputs ('probabilities' N×5, 'flat' N×3) and none is clearly the logits (named 'logits' or " +
                     "'output', or the only 2-D one); name the logits output with 'models add --output NAME' (manifest field 'output').", ex.Message);

        using (OnnxCamModel named = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(8), CPU, options: new OnnxImportOptions { Output = "flat" }))
            Assert.Equal(3, named.ClassCount);
        var missing = Assert.Throws<OnnxImportException>(() =>
            OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(8), CPU, options: new OnnxImportOptions { Output = "logits" }).Dispose());
        Assert.Equal("ambiguous.onnx has no output 'logits'; its outputs are 'probabilities' N×5, 'flat' N×3.", missing.Message);

        // Through the catalog: the output is written to the manifest and used whenever the model loads.
        var catalog = new ModelCatalog(Path.Combine(_folder, "models"));
        AddModelResult added = catalog.Add(path, new AddModelOptions { Name = "ambiguous", Output = "probabilities" });
        Assert.Equal("probabilities", added.Entry.Manifest!.Output);
        Assert.Contains("\"output\": \"probabilities\"", File.ReadAllText(Path.Combine(added.Entry.Directory, ModelManifest.FileName)));
        using ICamModel model = catalog.Load("ambiguous", CPU);
        Assert.Equal(5, model.Labels.Count);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
