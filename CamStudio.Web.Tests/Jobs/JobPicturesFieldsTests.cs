using Bunit;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Jobs;
using MudBlazor;
using MudBlazor.Services;

namespace CamStudio.Tests.Jobs;

/// <summary>The jobs form's picture fields (guided, concepts with K) and the results viewer showing the pictures.</summary>
public sealed class JobPicturesFieldsTests : AsyncDisposedBunitContext
{
    public JobPicturesFieldsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static MudSwitch<bool> Switch(IRenderedComponent<JobFeaturesFields> cut, string label) =>
        cut.FindComponents<MudSwitch<bool>>().Single(s => s.Instance.Label == label).Instance;

    [Fact]
    public async Task GuidedAndConceptsWithTheirKGoIntoTheJobsSettings()
    {
        var choice = new JobFeatureChoice();
        IRenderedComponent<JobFeaturesFields> cut = Render<JobFeaturesFields>(p => p.Add(c => c.Choice, choice));
        MudNumericField<int> k = cut.FindComponent<MudNumericField<int>>().Instance;
        Assert.True(k.Disabled); // K waits for the concepts switch
        Assert.Empty(cut.FindAll("[data-guided-note]"));

        await cut.InvokeAsync(() => Switch(cut, "Guided Grad-CAM").ValueChanged.InvokeAsync(true));
        await cut.InvokeAsync(() => Switch(cut, "Concepts").ValueChanged.InvokeAsync(true));
        Assert.False(cut.FindComponent<MudNumericField<int>>().Instance.Disabled);
        await cut.InvokeAsync(() => cut.FindComponent<MudNumericField<int>>().Instance.ValueChanged.InvokeAsync(4));

        JobSettings settings = choice.ApplyTo(JobSettings.Default);
        Assert.True(settings.Guided);
        Assert.Equal(4, settings.Concepts?.Count);
        Assert.Equal(JobConceptSettings.DefaultClassesPerConcept, settings.Concepts?.ClassesPerConcept);

        await cut.InvokeAsync(() => Switch(cut, "Concepts").ValueChanged.InvokeAsync(false));
        Assert.Null(choice.ApplyTo(JobSettings.Default).Concepts);
    }

    [Fact]
    public void AModelThatCannotBeGuidedSaysWhyAndTheEnginesRefusalShowsBesideItsField()
    {
        IRenderedComponent<JobFeaturesFields> cut = Render<JobFeaturesFields>(p => p
            .Add(c => c.Choice, new JobFeatureChoice())
            .Add(c => c.WhyNoGuided, "model 'm' has no rectifier the engine can guide.")
            .Add(c => c.ConceptsError, "Layer 'relu2' has 6 channels; ask for at most that many concepts."));

        Assert.True(Switch(cut, "Guided Grad-CAM").Disabled);
        Assert.Contains("no rectifier", cut.Find("[data-guided-note]").TextContent);
        Assert.Contains("has 6 channels", cut.Find("[data-field=concepts]").TextContent);
    }

    [Fact]
    public void TheViewerShowsTheSelectedMapsGuidedPicturesAndThePhotosConcepts()
    {
        JobMapFile[] maps =
        [
            new("gradcam", 281, "tabby", 0.5f, "relu2", "maps/a.npy", "overlays/a.png") { GuidedFile = "guided/0000_cat.guided.281.png", GuidedCamFile = "guided/0000_cat.gradcam.281.guided.png" },
            new("cam", 281, "tabby", 0.5f, "relu2", "maps/b.npy", "overlays/b.png") { GuidedFile = "guided/0000_cat.guided.281.png", GuidedCamFile = "guided/0000_cat.cam.281.guided.png" },
        ];
        var photo = new JobPhoto(0, "cat.png", PhotoState.Done, null, 281, "tabby", 0.5f, [], maps, "thumbs/0000.png", null, 1);
        var job = new JobInfo("0123456789abcdef", JobState.Completed, JobSettings.Default with { Methods = ["gradcam", "cam"], Guided = true },
            "tiny", null, 1, 1, 0, DateTimeOffset.UtcNow, null, null, null, 1, []);
        var concepts = new JobConcepts("concepts/0000_cat.concepts.png", "relu2", ["1: tabby 60%", "2: lynx 20%"]);

        IRenderedComponent<JobPhotoMaps> viewer = Render<JobPhotoMaps>(p => p.Add(c => c.Job, job).Add(c => c.Photo, photo).Add(c => c.Concepts, concepts));

        const string files = "api/jobs/0123456789abcdef/files/";
        Assert.Equal(files + "guided/0000_cat.guided.281.png", viewer.Find("[data-guided-image]").GetAttribute("src"));
        Assert.Equal(files + "guided/0000_cat.gradcam.281.guided.png", viewer.Find("[data-guided-cam]").GetAttribute("src"));
        viewer.Find("[data-map='cam:281']").Click();
        Assert.Equal(files + "guided/0000_cat.cam.281.guided.png", viewer.Find("[data-guided-cam]").GetAttribute("src"));
        var picture = viewer.Find("[data-concepts-picture] img");
        Assert.Equal(files + "concepts/0000_cat.concepts.png", picture.GetAttribute("src"));
        Assert.Contains("1: tabby 60%; 2: lynx 20%", picture.GetAttribute("alt"));
    }
}
