using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// One <c>POST /api/explain</c> with a wrong-shaped model used to abort the server in a native matmul. The model is
/// put in the models folder by hand (as if its file was swapped after <c>models add</c>, which refuses it).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class HostileModelServerTests
{
    [Fact]
    public async Task WrongShapedModelIsAClearErrorAndTheServerKeepsServing()
    {
        await using var factory = new StudioAppFactory();
        string folder = Path.Combine(factory.ModelsDirectory, "wrong");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), HostileModelTests.Classifier(6));
        File.WriteAllText(Path.Combine(folder, ModelManifest.FileName),
            new ModelManifest { Name = "wrong", Format = ModelFormat.Onnx, File = "model.onnx" }.ToJson());
        HttpClient client = factory.CreateClient();

        HttpResponseMessage bad = await client.PostAsync("/api/explain", Form("wrong"));
        string body = await bad.Content.ReadAsStringAsync();
        Assert.True(bad.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)bad.StatusCode}: {body}");
        string detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.Equal($"model.onnx: {HostileModelTests.WrongShapeError}", detail);

        HttpResponseMessage good = await client.PostAsync("/api/explain", Form("mobilenetv2"));
        Assert.True(good.StatusCode == HttpStatusCode.OK, await good.Content.ReadAsStringAsync());
    }

    private static MultipartFormDataContent Form(string model)
    {
        var file = new ByteArrayContent(File.ReadAllBytes(SharedResources.Image("both.png")));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "image", "both.png" }, { new StringContent(model), "model" } };
    }
}
