using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Models;

/// <summary>
/// <c>/api/models</c> on the real app and engine over a models folder of its own: add an ONNX model with labels and
/// preprocessing, refuse broken files with the catalog's message and leave the folder as it was, remove, choose the
/// default, and refuse a LAN caller without the access code.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ModelsApiTests : IDisposable
{
    private readonly string _models = Path.Combine(Path.GetTempPath(), $"camstudio-models-api-{Guid.NewGuid():N}");
    private readonly JobsAppFactory _app;

    public ModelsApiTests()
    {
        new ModelCatalog(_models).Add(SharedResources.Model, new AddModelOptions { Name = "mobilenetv2", Labels = SharedResources.ImageNetLabels }, TorchRuntime.DefaultDevice);
        _app = new JobsAppFactory(modelsDirectory: _models);
    }

    public void Dispose()
    {
        _app.Dispose();
        Directory.Delete(_models, recursive: true);
    }

    [Fact]
    public async Task AnOnnxModelWithLabelsAndPreprocessingIsAddedAndExplainsWithThem()
    {
        HttpClient client = _app.CreateClient();
        using MultipartFormDataContent form = Upload(File.ReadAllBytes(SharedResources.Model), "second.onnx", File.ReadAllBytes(SharedResources.ImageNetLabels));
        form.Add(new StringContent("224"), "size");
        form.Add(new StringContent("center-crop"), "resize");
        form.Add(new StringContent("0.5, 0.25, 0.125"), "mean");
        form.Add(new StringContent("0.2,0.3,0.4"), "std");

        HttpResponseMessage response = await client.PostAsync("/api/models", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());

        // The catalog has it under the uploaded file's name, with the manifest the form asked for.
        CatalogEntry entry = Assert.Single(new ModelCatalog(_models).List(), e => e.Name == "second");
        Assert.True(entry.IsUsable, entry.Status);
        Assert.Equal(224, entry.Manifest!.InputSize);
        Assert.Equal(CamStudio.Engine.Imaging.ResizeMode.CenterCrop, entry.Manifest.Resize);
        Assert.Equal([0.5f, 0.25f, 0.125f], entry.Manifest.Mean);
        Assert.Equal([0.2f, 0.3f, 0.4f], entry.Manifest.Std);
        Assert.Equal(1000, entry.ClassCount);
        Assert.Equal(ModelCatalog.Sha256Of(SharedResources.Model), entry.Manifest.Sha256);
        // The engine loads it with that preprocessing, and the upload left no temporary files in the models folder.
        EngineModelDetails details = await _app.Services.GetRequiredService<CamEngine>().GetModelAsync("second");
        Assert.Equal(CamStudio.Engine.Imaging.ResizeMode.CenterCrop, details.Preprocessing.Resize);
        Assert.Equal([0.5f, 0.25f, 0.125f], details.Preprocessing.Mean);
        Assert.Equal("tench", details.Labels[0].Split(',')[0]);
        Assert.Equal(["mobilenetv2", "second"], Directory.GetDirectories(_models).Select(d => Path.GetFileName(d)).Order());
    }

    [Fact]
    public async Task ABrokenFileIsRefusedWithTheCatalogsMessageAndLeavesTheFolderAsItWas()
    {
        HttpClient client = _app.CreateClient();
        string[] before = Snapshot();

        HttpResponseMessage garbage = await client.PostAsync("/api/models", Upload("this is not a protobuf"u8.ToArray(), "broken.onnx", null));
        string detail = await Detail(garbage, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("broken.onnx", detail);
        Assert.DoesNotContain("camstudio-model-uploads", detail); // the user's file name, never our temp path

        // A labels file whose count does not match the outputs: the catalog's own message, naming both counts.
        HttpResponseMessage mismatch = await client.PostAsync("/api/models", Upload(File.ReadAllBytes(SharedResources.Model), "third.onnx", "cat\ndog\nowl\n"u8.ToArray()));
        Assert.Equal("Labels file 'labels.txt' has 3 class names but model 'third.onnx' outputs 1000 classes.", await Detail(mismatch, HttpStatusCode.UnprocessableEntity));

        HttpResponseMessage badMean = await client.PostAsync("/api/models", With(Upload(File.ReadAllBytes(SharedResources.Model), "fourth.onnx", null), "mean", "0.5,zero,1"));
        Assert.Equal("The mean needs 3 comma-separated numbers (R,G,B), not '0.5,zero,1'.", await Detail(badMean, HttpStatusCode.BadRequest));

        HttpResponseMessage badSize = await client.PostAsync("/api/models", With(Upload(File.ReadAllBytes(SharedResources.Model), "fifth.onnx", null), "size", "2"));
        Assert.Equal("Input size 2 is out of range (8 to 4096 pixels).", await Detail(badSize, HttpStatusCode.UnprocessableEntity));

        HttpResponseMessage wrongSize = await client.PostAsync("/api/models", With(Upload(File.ReadAllBytes(SharedResources.Model), "sixth.onnx", null), "size", "256"));
        Assert.StartsWith("sixth.onnx takes input 'input' of shape N×3×224×224, which does not fit N×3×256×256 photos", await Detail(wrongSize, HttpStatusCode.UnprocessableEntity));

        HttpResponseMessage existing = await client.PostAsync("/api/models", Upload(File.ReadAllBytes(SharedResources.Model), "mobilenetv2.onnx", null));
        Assert.Contains("A model named 'mobilenetv2' already exists", await Detail(existing, HttpStatusCode.UnprocessableEntity));

        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task ARemovedModelIsGoneAndTheChosenDefaultFollowsTheUsersChoice()
    {
        HttpClient client = _app.CreateClient();
        var engine = _app.Services.GetRequiredService<CamEngine>();
        Assert.Equal("mobilenetv2", engine.DefaultModel);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/models", Upload(File.ReadAllBytes(SharedResources.Model), "second.onnx", null))).StatusCode);

        HttpResponseMessage chosen = await client.PutAsJsonAsync("/api/models/default", new { name = "second" });
        Assert.True(chosen.StatusCode == HttpStatusCode.OK, await chosen.Content.ReadAsStringAsync());
        Assert.Equal("second", engine.DefaultModel);
        Assert.Equal("second", (await File.ReadAllTextAsync(Path.Combine(_models, ".default-model"))).Trim());
        // A new catalog over the folder (a restart, or the CLI) sees the same choice.
        Assert.Equal("second", new ModelCatalog(_models).ChosenDefault);
        using (JsonDocument models = JsonDocument.Parse(await client.GetStringAsync("/api/models")))
            Assert.Equal("second", models.RootElement.GetProperty("defaultModel").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync("/api/models/default", new { name = "nosuch" })).StatusCode);
        Assert.Equal("second", engine.DefaultModel);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/models/second")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(_models, "second")));
        // Removing the default goes back to the configured one.
        Assert.Equal("mobilenetv2", engine.DefaultModel);
        Assert.False(File.Exists(Path.Combine(_models, ".default-model")));
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/api/models/second")).StatusCode);
        await Assert.ThrowsAsync<CamRequestException>(() => engine.GetModelAsync("second"));
    }

    [Fact]
    public async Task AnotherMachineWithoutTheAccessCodeCannotChangeTheModels()
    {
        HttpClient client = _app.CreateClient();
        client.DefaultRequestHeaders.Add(JobsAppFactory.LanPeerHeader, "192.168.1.50");
        string[] before = Snapshot();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/models", Upload(File.ReadAllBytes(SharedResources.Model), "second.onnx", null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync("/api/models/mobilenetv2")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PutAsJsonAsync("/api/models/default", new { name = "mobilenetv2" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/models")).StatusCode); // the page asks for the code
        Assert.Equal(before, Snapshot());

        // With the code the same machine may.
        client.DefaultRequestHeaders.Add("X-CamStudio-Code", JobsAppFactory.Code);
        HttpResponseMessage added = await client.PostAsync("/api/models", Upload(File.ReadAllBytes(SharedResources.Model), "second.onnx", null));
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
    }

    private string[] Snapshot() =>
        [.. Directory.EnumerateFileSystemEntries(_models, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_models, p)).Order(StringComparer.Ordinal)];

    private static MultipartFormDataContent Upload(byte[] model, string fileName, byte[]? labels)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(model);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        if (labels is not null)
            form.Add(new ByteArrayContent(labels), "labels", "labels.txt");
        return form;
    }

    private static MultipartFormDataContent With(MultipartFormDataContent form, string field, string value)
    {
        form.Add(new StringContent(value), field);
        return form;
    }

    private static async Task<string> Detail(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
    }
}
