using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CamStudio.Engine.Models;
using CamStudio.Tests.Onnx;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class CliExplainTests : IDisposable
{
    private readonly CliModels _models = CliModels.Shared;
    private readonly TempFolder _temp = new("camstudio-cli-explain-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ExplainWithSeededResNetWritesEveryFileNamedAsSpecified()
    {
        string outDir = _temp.Combine("out");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", SharedResources.Image("chelsea.png"), SharedResources.Image("cat.bmp"),
            "--model", "pets", "--class", "0,tiger cat", "--method", "gradcam,hirescam", "--out", outDir, "--batch-size", "2");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Error);
        var expected = new List<string> { "predictions.json" };
        foreach (string stem in new[] { "chelsea", "cat" })
            foreach (string method in new[] { "gradcam", "hirescam" })
                foreach (int c in new[] { 0, 2 })
                    expected.AddRange([$"{stem}.{method}.{c}.png", $"{stem}.{method}.{c}.npy", $"{stem}.{method}.{c}.raw.npy"]);
        Assert.Equal(expected.Order(), Directory.GetFiles(outDir).Select(Path.GetFileName).Order());

        int fullRange = 0;
        foreach (string npy in Directory.GetFiles(outDir, "*.npy").Where(f => !f.EndsWith(".raw.npy")))
        {
            (int[] shape, float[] values) = ReadNpyIndependently(npy);
            Assert.Equal([64, 64], shape);
            Assert.All(values, v => Assert.InRange(v, 0f, 1f));
            Assert.True(values.All(v => v == 0f) || (values.Min() == 0f && values.Max() == 1f), $"{npy} is not min-max normalised");
            if (values.Max() == 1f)
                fullRange++;
        }
        Assert.True(fullRange >= 4, $"only {fullRange} of 8 maps span [0, 1]");

        foreach (string png in Directory.GetFiles(outDir, "chelsea.*.png"))
            Assert.Equal((451, 300), Size(png));
        foreach (string png in Directory.GetFiles(outDir, "cat.*.png"))
            Assert.Equal((512, 341), Size(png));
    }

    [Fact]
    public void PredictionsJsonHoldsTheTop5OfAnIndependentForwardPassAndEveryWrittenFile()
    {
        string outDir = _temp.Combine("out");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", SharedResources.Image("chelsea.png"), SharedResources.Image("coffee.png"),
            "--model", "pets", "--class", "top1", "--method", "layercam", "--out", outDir, "--batch-size", "1");
        Assert.True(run.ExitCode == 0, run.ToString());

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "predictions.json")));
        JsonElement root = json.RootElement;
        Assert.Equal("pets", root.GetProperty("model").GetString());
        Assert.Equal("layer4", root.GetProperty("layer").GetString());
        JsonElement[] photos = root.GetProperty("photos").EnumerateArray().ToArray();
        Assert.Equal(2, photos.Length);

        // Independent: the weights loaded by the engine's loader, preprocessing written with ImageSharp alone in the test.
        using var network = TorchVisionModels.Load("resnet18", _models.WeightsPath, device: CPU);
        string[] names = ["chelsea.png", "coffee.png"];
        for (int i = 0; i < 2; i++)
        {
            JsonElement photo = photos[i];
            Assert.Equal(SharedResources.Image(names[i]), photo.GetProperty("photo").GetString());
            float[] probabilities;
            using (var scope = NewDisposeScope())
            using (no_grad())
                probabilities = network.call(OnnxTestSupport.Photo(names[i], 64)).softmax(1).data<float>().ToArray();
            int[] expectedOrder = Enumerable.Range(0, 5).OrderByDescending(c => probabilities[c]).ToArray();

            JsonElement[] top = photo.GetProperty("top5").EnumerateArray().ToArray();
            Assert.Equal(expectedOrder, top.Select(t => t.GetProperty("classIndex").GetInt32()));
            Assert.Equal(expectedOrder.Select(c => ResNetWeightsFixture.ClassNames[c]), top.Select(t => t.GetProperty("className").GetString()));
            for (int k = 0; k < 5; k++)
                Assert.Equal(probabilities[expectedOrder[k]], top[k].GetProperty("probability").GetSingle(), 1e-3);

            JsonElement file = Assert.Single(photo.GetProperty("files").EnumerateArray());
            string stem = Path.GetFileNameWithoutExtension(names[i]);
            Assert.Equal($"{stem}.layercam.{expectedOrder[0]}.png", file.GetProperty("png").GetString());
            Assert.Equal($"{stem}.layercam.{expectedOrder[0]}.npy", file.GetProperty("npy").GetString());
            Assert.Equal($"{stem}.layercam.{expectedOrder[0]}.raw.npy", file.GetProperty("rawNpy").GetString());
            Assert.Equal("layercam", file.GetProperty("method").GetString());
            Assert.Equal(expectedOrder[0], file.GetProperty("classIndex").GetInt32());
            Assert.Equal("layer4", file.GetProperty("layer").GetString());
        }
    }

    [Fact]
    public void CenterCropOverlayHasThePhotosSizeAndLeavesTheUncroppedMarginsUntouched()
    {
        string outDir = _temp.Combine("out");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", SharedResources.Image("chelsea.png"),
            "--model", "pets-crop", "--class", "3", "--out", outDir, "--alpha", "0.8");
        Assert.True(run.ExitCode == 0, run.ToString());

        using Image<Rgb24> original = Image.Load<Rgb24>(SharedResources.Image("chelsea.png"));
        using Image<Rgb24> overlay = Image.Load<Rgb24>(Path.Combine(outDir, "chelsea.gradcam.3.png"));
        Assert.Equal((451, 300), (overlay.Width, overlay.Height));
        // 451×300 → shorter side 64: 96×64 (451·64/300 = 96.2), centred 64-wide crop from x = 16, i.e. photo columns ≈ 75..375.
        int changedInside = 0;
        for (int y = 0; y < 300; y += 7)
        {
            for (int x = 0; x < 70; x += 3)
                Assert.Equal(original[x, y], overlay[x, y]);
            for (int x = 381; x < 451; x += 3)
                Assert.Equal(original[x, y], overlay[x, y]);
            for (int x = 80; x < 370; x += 10)
                changedInside += original[x, y].Equals(overlay[x, y]) ? 0 : 1;
        }
        Assert.True(changedInside > 100, $"only {changedInside} sampled pixels inside the crop were coloured");
    }

    [Fact]
    public void SharedModelTop3WithThreeMethodsWritesNinePngAndNineNpy()
    {
        Assert.True(_models.AddMobileNet.ExitCode == 0, _models.AddMobileNet.ToString());
        string outDir = _temp.Combine("out");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", SharedResources.Image("both.png"),
            "--class", "top3", "--method", "gradcam,cam,eigencam", "--out", outDir);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(9, Directory.GetFiles(outDir, "both.*.png").Length);
        Assert.Equal(9, Directory.GetFiles(outDir, "both.*.raw.npy").Length);
        Assert.Equal(18, Directory.GetFiles(outDir, "both.*.npy").Length); // normalised + raw
        Assert.Equal(28, Directory.GetFiles(outDir).Length);
        foreach (string raw in Directory.GetFiles(outDir, "both.*.raw.npy"))
            Assert.Equal([7, 7], ReadNpyIndependently(raw).Shape); // MobileNetV2's last feature map at 224×224

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "predictions.json")));
        JsonElement photo = json.RootElement.GetProperty("photos")[0];
        int[] top3 = photo.GetProperty("top5").EnumerateArray().Take(3).Select(t => t.GetProperty("classIndex").GetInt32()).ToArray();
        // both.png shows a dog and a cat: ImageNet dogs are classes 151-268, domestic cats 281-285.
        Assert.Contains(top3, c => c is >= 151 and <= 268);
        Assert.Contains(top3, c => c is >= 281 and <= 285);
        foreach (string method in new[] { "gradcam", "cam", "eigencam" })
            foreach (int c in top3)
            {
                Assert.True(File.Exists(Path.Combine(outDir, $"both.{method}.{c}.png")), $"both.{method}.{c}.png");
                Assert.Equal([224, 224], ReadNpyIndependently(Path.Combine(outDir, $"both.{method}.{c}.npy")).Shape);
                Assert.Equal((224, 224), Size(Path.Combine(outDir, $"both.{method}.{c}.png")));
            }
        Assert.Equal(9, photo.GetProperty("files").GetArrayLength());

        // Eigen-CAM ignores the class; CAM does not.
        float[] eigen0 = ReadNpyIndependently(Path.Combine(outDir, $"both.eigencam.{top3[0]}.npy")).Values;
        Assert.Equal(eigen0, ReadNpyIndependently(Path.Combine(outDir, $"both.eigencam.{top3[2]}.npy")).Values);
        Assert.NotEqual(ReadNpyIndependently(Path.Combine(outDir, $"both.cam.{top3[0]}.npy")).Values,
            ReadNpyIndependently(Path.Combine(outDir, $"both.cam.{top3[2]}.npy")).Values);
    }

    [Fact]
    public void BareOnnxFileAndArchitectureWithWeightsWorkWithoutTheModelsFolder()
    {
        string emptyModels = _temp.Combine("no-models");
        string onnxOut = _temp.Combine("onnx");
        CliRun onnx = CliRun.Invoke(emptyModels, "explain", SharedResources.Image("both.png"), "--model", SharedResources.Model,
            "--class", "281", "--out", onnxOut);
        Assert.True(onnx.ExitCode == 0, onnx.ToString());
        Assert.True(File.Exists(Path.Combine(onnxOut, "both.gradcam.281.npy")));
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(onnxOut, "predictions.json"))))
        {
            JsonElement file = json.RootElement.GetProperty("photos")[0].GetProperty("files")[0];
            Assert.Equal("class 281", file.GetProperty("className").GetString()); // no labels file: generated names
        }

        string weightsOut = _temp.Combine("weights");
        CliRun weights = CliRun.Invoke(emptyModels, "explain", SharedResources.Image("cat.bmp"), "--model", "resnet18", "--weights", _models.WeightsPath,
            "--class", "4", "--method", "xgradcam", "--out", weightsOut);
        Assert.True(weights.ExitCode == 0, weights.ToString());
        // An architecture without a manifest gets ImageNet preprocessing at its own input size (224 for resnet18).
        Assert.Equal([224, 224], ReadNpyIndependently(Path.Combine(weightsOut, "cat.xgradcam.4.npy")).Shape);
        Assert.False(Directory.Exists(emptyModels));
    }

    [Fact]
    public void ManifestDefaultLayerIsUsedUnlessLayerIsGiven()
    {
        string modelsDir = _temp.Combine("models");
        new CamStudio.Engine.Models.Catalog.ModelCatalog(modelsDir).Add(_models.WeightsPath, new CamStudio.Engine.Models.Catalog.AddModelOptions
        {
            Architecture = "resnet18",
            Name = "pets3",
            InputSize = 64,
            Labels = _models.LabelsPath,
            DefaultLayer = "layer3",
        }, CPU);

        string LayerUsed(params string[] extra)
        {
            string outDir = _temp.Combine("out-" + extra.Length);
            CliRun run = CliRun.Invoke(modelsDir, ["explain", SharedResources.Image("cat.bmp"), "--model", "pets3", "--out", outDir, .. extra]);
            Assert.True(run.ExitCode == 0, run.ToString());
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "predictions.json")));
            return json.RootElement.GetProperty("layer").GetString()!;
        }

        Assert.Equal("layer3", LayerUsed());
        Assert.Equal("layer4", LayerUsed("--layer", "auto"));
        Assert.Equal("layer2", LayerUsed("--layer", "layer2", "--class", "1"));
    }

    [Fact]
    public void BatchSizeChangesNothingButHowManyPhotosShareAForwardPass()
    {
        string[] photos = [SharedResources.Image("cat.bmp"), SharedResources.Image("coffee.png"), SharedResources.Image("chelsea.png")];
        string one = _temp.Combine("one"), three = _temp.Combine("three");
        CliRun single = CliRun.Invoke(_models.ModelsDir, ["explain", .. photos, "--model", "pets", "--class", "top2", "--method", "gradcam,eigencam", "--batch-size", "1", "--out", one]);
        CliRun batched = CliRun.Invoke(_models.ModelsDir, ["explain", .. photos, "--model", "pets", "--class", "top2", "--method", "gradcam,eigencam", "--batch-size", "3", "--out", three]);
        Assert.True(single.ExitCode == 0 && batched.ExitCode == 0, single + "\n" + batched);

        string[] files = Directory.GetFiles(one).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal(files, Directory.GetFiles(three).Select(Path.GetFileName).Order());
        Assert.Equal(3 * 2 * 2 * 3 + 1, files.Length); // photos × classes × methods × (png, npy, raw.npy) + predictions.json
        foreach (string npy in files.Where(f => f.EndsWith(".npy")))
        {
            float[] a = ReadNpyIndependently(Path.Combine(one, npy)).Values, b = ReadNpyIndependently(Path.Combine(three, npy)).Values;
            Assert.True(a.Zip(b).All(p => Math.Abs(p.First - p.Second) < 1e-3f), $"{npy} differs between batch sizes");
        }
    }

    [Fact]
    public void MissingAndCorruptPhotosAreReportedOneLineEachWhileTheOthersAreProcessed()
    {
        byte[] png = File.ReadAllBytes(SharedResources.Image("chelsea.png"));
        string truncated = _temp.WriteBytes("in/truncated.png", png[..(png.Length / 3)]);
        string notAnImage = _temp.WriteText("in/notes.png", "just some text, not a picture\n");
        string missing = _temp.Combine("in", "missing.jpg");
        string outDir = _temp.Combine("out");

        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", truncated, SharedResources.Image("cat.bmp"), missing, notAnImage,
            SharedResources.Image("coffee.png"), "--model", "pets", "--class", "1", "--out", outDir, "--batch-size", "2");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(3, run.ErrorLines.Count);
        Assert.StartsWith($"camstudio: {truncated}: ", run.ErrorLines[0]);
        Assert.Equal($"camstudio: {missing}: the file does not exist", run.ErrorLines[1]);
        Assert.StartsWith($"camstudio: {notAnImage}: ", run.ErrorLines[2]);
        Assert.Equal(["cat.gradcam.1.npy", "cat.gradcam.1.png", "cat.gradcam.1.raw.npy", "coffee.gradcam.1.npy", "coffee.gradcam.1.png", "coffee.gradcam.1.raw.npy", "predictions.json"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order());

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "predictions.json")));
        JsonElement[] photos = json.RootElement.GetProperty("photos").EnumerateArray().ToArray();
        Assert.Equal([truncated, SharedResources.Image("cat.bmp"), missing, notAnImage, SharedResources.Image("coffee.png")],
            photos.Select(p => p.GetProperty("photo").GetString()));
        Assert.True(photos[0].TryGetProperty("error", out _));
        Assert.True(photos[2].TryGetProperty("error", out _));
        Assert.Equal(5, photos[1].GetProperty("top5").GetArrayLength());
    }

    /// <summary>Reads a .npy written by anyone, following the format spec (NEP 1) directly: magic, version, header dict, C-order float32 data.</summary>
    internal static (int[] Shape, float[] Values) ReadNpyIndependently(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }, bytes[..6]);
        int headerLength, offset;
        if (bytes[6] == 1)
            (headerLength, offset) = (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)), 10);
        else
            (headerLength, offset) = ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), 12);
        string header = Encoding.Latin1.GetString(bytes, offset, headerLength);
        Assert.Equal(0, (offset + headerLength) % 16);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        string shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        shapeText = shapeText[..shapeText.IndexOf(')')];
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int count = shape.Aggregate(1, (a, b) => a * b);
        int dataStart = offset + headerLength;
        Assert.Equal(dataStart + 4 * count, bytes.Length);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + 4 * i));
        return (shape, values);
    }

    private static (int Width, int Height) Size(string path)
    {
        IImageInfo info = Image.Identify(path);
        return (info.Width, info.Height);
    }
}
