using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Models;
using CamStudio.Tests.Cli;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using CamStudio.Web.Studio;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// Jobs go through <see cref="CamEngine"/>: refused at submission when the engine refuses the plan, rendered with
/// the placement (centre-crop margins uncoloured, the same pixels as the CLI's), slow methods report forwards and
/// stop when the job is cancelled.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobsThroughCamEngineTests
{
    [Fact]
    public async Task AMethodThatDoesNotApplyAtTheLayerIsRefusedAtSubmissionWithTheField()
    {
        using var app = new JobsAppFactory();
        using var client = app.CreateClient();
        var engine = app.Services.GetRequiredService<CamEngine>();
        EngineModelDetails model = await engine.GetModelAsync(null);
        // Some 4-D layer where CAM (pooling + linear right after the layer) does not apply, per the engine's own list.
        string? layer = null;
        foreach (LayerInfo candidate in model.Layers.Where(l => l.Shape.Length == 4 && l.Name != model.AutoLayer))
        {
            if ((await engine.MethodsForAsync(null, candidate.Name)).Single(m => m.Id == "cam") is { IsAvailable: false })
            {
                layer = candidate.Name;
                break;
            }
        }
        Assert.NotNull(layer);

        var form = JobRequests.Photos(2, "cam");
        form.Add(new StringContent(layer), "layer");
        using var response = await client.PostAsync("api/jobs", form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, body);
        using JsonDocument problem = JsonDocument.Parse(body);
        Assert.Equal("methods", problem.RootElement.GetProperty("field").GetString());
        Assert.Equal(nameof(CamRequestErrorKind.MethodNotApplicable), problem.RootElement.GetProperty("kind").GetString());
        Assert.Contains("cam", problem.RootElement.GetProperty("detail").GetString());
        Assert.Empty(app.Services.GetRequiredService<JobStore>().ListJobs());
    }

    [Fact]
    public async Task AnUnknownModelIsA404NamingTheModelField()
    {
        using var app = new JobsAppFactory();
        using var client = app.CreateClient();
        var form = JobRequests.Photos(1);
        form.Add(new StringContent("nosuchmodel"), "model");
        using var response = await client.PostAsync("api/jobs", form);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Contains("nosuchmodel", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task OnACentreCropModelTheMarginsStayUncolouredAndTheJobCliApiAndStudioOverlaysAreIdentical()
    {
        string photoPath = SharedResources.Image("chelsea.png");
        using var app = new JobsAppFactory(modelsDirectory: TestModels.CenterCropDirectory);
        using var client = app.CreateClient();
        var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(photoPath)), "photos", "chelsea.png" }, { new StringContent("gradcam"), "methods" } };
        string jobId = await JobRequests.SubmitAsync(client, form);
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 120);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        JobMapFile map = Assert.Single(Assert.Single(app.Services.GetRequiredService<JobStore>().ListPhotos(jobId)).Maps);
        using Image<Rgb24> overlay = Image.Load<Rgb24>(await client.GetByteArrayAsync($"api/jobs/{jobId}/files/{map.OverlayFile}"));
        using Image<Rgb24> photo = Image.Load<Rgb24>(photoPath);
        Assert.Equal((451, 300), (photo.Width, photo.Height)); // ≤ 1024 px: the job draws at the photo's own size

        // By hand: the shorter side (300) becomes the 224 input, so the model saw the centred 300×300 square,
        // columns 75.5 to 375.5; everything left and right of it is the photo itself.
        int changedInside = 0, inside = 0;
        for (int y = 0; y < photo.Height; y++)
        {
            for (int x = 0; x < photo.Width; x++)
            {
                if (x <= 74 || x >= 377)
                    Assert.True(overlay[x, y] == photo[x, y], $"margin pixel ({x}, {y}) was coloured");
                else if (x is >= 80 and <= 370)
                {
                    inside++;
                    if (overlay[x, y] != photo[x, y])
                        changedInside++;
                }
            }
        }
        Assert.True(changedInside > inside / 2, $"only {changedInside} of {inside} pixels inside the crop were coloured");

        // The CLI on the same model, photo and request draws the same pixels.
        using var temp = new TempFolder("camstudio-crop-cli-");
        string outDir = temp.Combine("out");
        CliRun run = CliRun.Invoke(TestModels.CenterCropDirectory, "explain", photoPath, "--method", "gradcam", "--out", outDir);
        Assert.True(run.ExitCode == 0, run.ToString());
        using Image<Rgb24> cli = Image.Load<Rgb24>(Path.Combine(outDir, $"chelsea.gradcam.{map.ClassIndex}.png"));
        Assert.Equal((overlay.Width, overlay.Height), (cli.Width, cli.Height));
        for (int y = 0; y < cli.Height; y++)
            for (int x = 0; x < cli.Width; x++)
                Assert.True(cli[x, y] == overlay[x, y], $"pixel ({x}, {y}): CLI {cli[x, y]}, job {overlay[x, y]}");

        // And POST /api/explain (the studio's renderer, StudioPictures) on the same app, model, photo and request.
        var explainForm = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(photoPath)), "image", "chelsea.png" }, { new StringContent("gradcam"), "methods" } };
        using HttpResponseMessage explained = await client.PostAsync("api/explain", explainForm);
        Assert.True(explained.IsSuccessStatusCode, await explained.Content.ReadAsStringAsync());
        JsonElement apiMap = Assert.Single((await explained.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("maps").EnumerateArray());
        Assert.Equal(map.ClassIndex, apiMap.GetProperty("classIndex").GetInt32());
        using Image<Rgb24> api = Image.Load<Rgb24>(Convert.FromBase64String(apiMap.GetProperty("overlayPng").GetString()!));
        Assert.Equal((overlay.Width, overlay.Height), (api.Width, api.Height));
        for (int y = 0; y < api.Height; y++)
            for (int x = 0; x < api.Width; x++)
                Assert.True(api[x, y] == overlay[x, y], $"pixel ({x}, {y}): API {api[x, y]}, job {overlay[x, y]}");

        // And the studio's own view: a session's explain and the page's display-size overlay (the photo is under
        // StudioPhoto.DisplayMaxSide, so the display image is the photo itself and the pixels can be compared).
        Assert.True(Math.Max(photo.Width, photo.Height) <= StudioPhoto.DisplayMaxSide);
        IStudioEngine studioEngine = app.Services.GetRequiredService<IStudioEngine>();
        StudioPictures pictures = app.Services.GetRequiredService<StudioPictures>();
        using var session = new StudioSession(studioEngine, pictures, () => "cross-front-end", NullLogger<StudioSession>.Instance);
        await using (FileStream file = File.OpenRead(photoPath))
        {
            StudioPhoto studioPhoto = await session.AddPhotoAsync("chelsea.png", file, CancellationToken.None);
            SessionExplanation explainedInStudio = await session.ExplainAsync(studioPhoto, studioEngine.DefaultModel, "auto", ["gradcam"], null, CancellationToken.None);
            PlacedClassMap studioMap = Assert.Single(explainedInStudio.Maps);
            Assert.Equal(map.ClassIndex, studioMap.ClassIndex);
            byte[] png = await pictures.RenderOverlayPngAsync(studioPhoto, studioMap.Map, new OverlayStyle("jet", 0.5f), fullResolution: false, CancellationToken.None);
            using Image<Rgb24> studio = Image.Load<Rgb24>(png);
            Assert.Equal((overlay.Width, overlay.Height), (studio.Width, studio.Height));
            for (int y = 0; y < studio.Height; y++)
                for (int x = 0; x < studio.Width; x++)
                    Assert.True(studio[x, y] == overlay[x, y], $"pixel ({x}, {y}): studio {studio[x, y]}, job {overlay[x, y]}");
        }
    }

    [Fact]
    public async Task AScoreCamJobReportsForwardsAndCancellingItStopsTheRunningBatch()
    {
        using var app = new JobsAppFactory(batchSize: 2);
        using var client = app.CreateClient();
        var engine = app.Services.GetRequiredService<CamEngine>();
        EngineModelDetails model = await engine.GetModelAsync(null);
        long channels = model.Layers.Single(l => l.Name == model.AutoLayer).Shape[1];
        var received = new ConcurrentQueue<JobProgress>();
        var firstForwards = new TaskCompletionSource<JobProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = app.Services.GetRequiredService<JobProgressPublisher>().Subscribe(p =>
        {
            received.Enqueue(p);
            if (p.DoneForwards > 0)
                firstForwards.TrySetResult(p);
        });

        string jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(2, "scorecam"));
        JobProgress first = await firstForwards.Task.WaitAsync(TimeSpan.FromSeconds(120));
        // Score-CAM runs one extra forward pass per channel of the layer (Wang et al. 2020), for each of the 2 photos.
        Assert.Equal(2 * channels, first.TotalForwards);
        Assert.Equal(jobId, first.JobId);
        Assert.InRange(first.DoneForwards!.Value, 1, first.TotalForwards!.Value - 1);
        Assert.NotNull(first.EtaMs);

        using var cancel = await client.DeleteAsync($"api/jobs/{jobId}");
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 120);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        // The batch stopped inside: neither photo was finished, and the forwards reported never reached the total.
        Assert.Equal(0, job.GetProperty("done").GetInt32());
        Assert.Equal(0, job.GetProperty("failed").GetInt32());
        Assert.All(received.Where(p => p.JobId == jobId && p.DoneForwards is not null), p => Assert.True(p.DoneForwards < p.TotalForwards));
        Assert.All(received.Where(p => p.JobId == jobId && p.DoneForwards is not null), p => Assert.Equal(2 * channels, p.TotalForwards));
    }
}
