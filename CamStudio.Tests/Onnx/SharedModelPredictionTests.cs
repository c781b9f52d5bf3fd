using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

[Collection(TorchCollection.Name)]
public sealed class SharedModelPredictionTests
{
    private readonly ITestOutputHelper _output;

    public SharedModelPredictionTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void SharedModelPredictsTheShownObjects()
    {
        using OnnxCamModel model = OnnxTestSupport.LoadSharedModel();
        using var scope = NewDisposeScope();
        foreach (string photo in new[] { "both.png", "coffee.png", "chelsea.png", "grace_hopper.bmp" })
        {
            using ModelRun run = model.Run(OnnxTestSupport.Photo(photo), model.AutoLayer, trackGradients: false);
            Tensor p = run.Logits.softmax(1);
            var top = p.topk(5);
            _output.WriteLine($"{photo}: " + string.Join(", ", top.indexes[0].data<long>().ToArray().Zip(top.values[0].data<float>().ToArray())
                .Select(t => $"{OnnxTestSupport.ImageNetLabels[(int)t.First]} {t.Second:F3}")));
        }
    }
}
