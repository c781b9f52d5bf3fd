using Bunit;
using CamStudio.Engine.Models;
using CamStudio.Web.Jobs;
using MudBlazor.Services;

namespace CamStudio.Tests.Jobs;

/// <summary>The jobs page's parts on their own: layer search, the queue's facts, photos left out, the map grid.</summary>
public sealed class JobFormPartsTests : BunitContext
{
    private static readonly LayerInfo[] Layers =
    [
        new("input", [1, 3, 224, 224], "Input"),
        new("features.0.conv", [1, 32, 112, 112], "Conv"),
        new("features.18.relu", [1, 1280, 7, 7], "Relu"),
        new("pool", [1, 1280, 1, 1], "GlobalAveragePool"),
        new("logits", [1, 1000], "Gemm"),
    ];

    public JobFormPartsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    [Fact]
    public void LayerSearchOffersAutoThenSpatialLayersMatchingEveryWord()
    {
        // Non-spatial tensors (1×1 pool, 2-D logits) are never offered.
        Assert.Equal(["auto", "input", "features.0.conv", "features.18.relu"], JobLayers.Search(Layers, null));
        Assert.Equal(["features.18.relu"], JobLayers.Search(Layers, "relu 7x7"));
        Assert.Equal(["features.0.conv", "features.18.relu"], JobLayers.Search(Layers, "FEATURES"));
        Assert.Equal(["auto"], JobLayers.Search(Layers, "au"));
        Assert.Empty(JobLayers.Search(Layers, "pool"));
        Assert.Equal("features.18.relu · Relu · 1×1280×7×7", JobLayers.Describe(Layers[2]));
    }

    [Fact]
    public void TheQueueSaysWhatAJobIsWhenItRanAndWhatItTakesOnDisk()
    {
        var created = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
        var job = new JobInfo("0123456789abcdef", JobState.Completed, JobSettings.Default, "mobilenetv2", null, 12, 12, 0,
            created, created.AddSeconds(5), created.AddSeconds(95), null, 1, []);
        IRenderedComponent<JobQueueFacts> facts = Render<JobQueueFacts>(p => p
            .Add(c => c.Job, job)
            .Add(c => c.Summary, new JobQueueSummary("cat.jpg, dog.jpg +10", 3 * 1024 * 1024 + 512 * 1024))
            .Add(c => c.Now, created.AddMinutes(30)));
        Assert.Equal("cat.jpg, dog.jpg +10", facts.Find("[data-job-name]").TextContent);
        Assert.Equal("created 30 min ago", facts.Find("[data-job-created]").TextContent);
        Assert.Equal("finished 28 min ago (took 1:30)", facts.Find("[data-job-finished]").TextContent);
        Assert.Equal("3.5 MiB on disk", facts.Find("[data-job-disk]").TextContent);
        Assert.Equal("2026-12-01 10:00 UTC", JobTimes.Describe(created, created.AddDays(2)));
    }

    [Fact]
    public void PhotosPastTheLimitAreNamed()
    {
        IRenderedComponent<JobLeftOutNotice> notice = Render<JobLeftOutNotice>(p => p.Add(c => c.Kept, 2).Add(c => c.LeftOut, ["owl.jpg", "bee.png"]));
        Assert.Contains("the first 2 are in this job; 2 were left out", notice.Markup.Replace("\n", " ").Replace("  ", " "));
        Assert.Equal("owl.jpg, bee.png", notice.Find(".jobs-left-out").TextContent);
    }

    [Fact]
    public void TheMapGridHasOneCellPerClassAndMethodAndTheChosenOneGoesLargeWithItsExplorerLink()
    {
        string[] methods = ["gradcam", "cam", "gradcam++"];
        (int Index, string Name)[] classes = [(285, "Egyptian cat"), (281, "tabby, tabby cat"), (282, "tiger cat")];
        var maps = classes.SelectMany(c => methods.Select(m => new JobMapFile(m, c.Index, c.Name, 0.3f, "627_quantized", $"{m}-{c.Index}.npy", $"{m}-{c.Index}.png"))).ToList();
        var photo = new JobPhoto(3, "cat.bmp", PhotoState.Done, null, 285, "Egyptian cat", 0.46f, [], maps, "thumbs/0003.png", null, 1);
        var job = new JobInfo("0123456789abcdef", JobState.Completed, JobSettings.Default with { Methods = methods, Classes = "top3" }, "mobilenetv2", null, 1, 1, 0,
            DateTimeOffset.UtcNow, null, null, null, 1, []);
        IRenderedComponent<JobPhotoMaps> grid = Render<JobPhotoMaps>(p => p.Add(c => c.Job, job).Add(c => c.Photo, photo));

        var cells = grid.FindAll("[data-map]").Select(e => e.GetAttribute("data-map")).ToList();
        Assert.Equal(classes.SelectMany(c => methods.Select(m => $"{m}:{c.Index}")), cells);
        grid.Find("[data-map='cam:282']").Click();
        Assert.Equal("api/jobs/0123456789abcdef/files/cam-282.png", grid.Find("[data-map-large]").GetAttribute("src"));
        Assert.Equal("/?job=0123456789abcdef&photo=3&model=mobilenetv2&method=cam&class=282&layer=627_quantized",
            grid.Find("[data-open-explorer]").GetAttribute("href"));
    }
}
