using Bunit;
using CamStudio.Engine;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Models;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;

namespace CamStudio.Tests.Models;

/// <summary>The Models page over the real engine and a models folder of its own: list, make default, remove, add and refuse.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelsPageTests : AsyncDisposedBunitContext
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"camstudio-models-page-{Guid.NewGuid():N}");
    private readonly TorchExecutor _executor = new();
    private readonly LoadedModels _models;
    private readonly CamEngine _engine;

    public ModelsPageTests()
    {
        var catalog = new ModelCatalog(_folder);
        catalog.Add(SharedResources.Model, new AddModelOptions { Name = "mobilenetv2", Labels = SharedResources.ImageNetLabels }, TorchRuntime.DefaultDevice);
        catalog.Add(SharedResources.Model, new AddModelOptions { Name = "second" }, TorchRuntime.DefaultDevice);
        _models = new LoadedModels(_executor, catalog);
        _engine = new CamEngine(_executor, _models);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(catalog);
        Services.AddSingleton(_engine);
        Services.AddSingleton(new ModelUploads(_engine, Options.Create(new ModelUploadOptions())));
    }

    protected override Task DisposeOwnAsync()
    {
        _engine.Dispose();
        _models.Dispose();
        _executor.Dispose();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void TheListShowsEveryModelAndMakingOneTheDefaultMovesTheMark()
    {
        Render<MudPopoverProvider>();
        IRenderedComponent<ModelsPage> page = Render<ModelsPage>();
        Assert.Equal(["mobilenetv2", "second"], page.FindAll("[data-model-row]").Select(e => e.GetAttribute("data-model-row")));
        Assert.Equal("mobilenetv2", page.Find("[data-is-default='true']").GetAttribute("data-model-row"));

        page.Find("[data-set-default='second']").Click();
        Assert.Equal("second", _engine.DefaultModel);
        page.WaitForAssertion(() => Assert.Equal("second", page.Find("[data-is-default='true']").GetAttribute("data-model-row")));
        Assert.Single(page.FindAll("[data-default-model]"));
        Assert.Empty(page.FindAll("[data-set-default='second']"));
    }

    [Fact]
    public void RemovingAsksFirstThenDeletesTheModel()
    {
        Render<MudPopoverProvider>();
        IRenderedComponent<ModelsPage> page = Render<ModelsPage>();
        page.Find("[data-remove-model='second']").Click();
        Assert.True(Directory.Exists(Path.Combine(_folder, "second"))); // only asked so far
        page.Find("[data-confirm-remove-yes]").Click();
        page.WaitForAssertion(() => Assert.Equal(["mobilenetv2"], page.FindAll("[data-model-row]").Select(e => e.GetAttribute("data-model-row"))));
        Assert.False(Directory.Exists(Path.Combine(_folder, "second")));
    }

    [Fact]
    public void ABrokenUploadShowsTheCatalogsMessageAndAGoodOneIsListed()
    {
        Render<MudPopoverProvider>();
        IRenderedComponent<ModelsPage> page = Render<ModelsPage>();
        IRenderedComponent<InputFile> modelInput = page.FindComponents<InputFile>()[0];
        modelInput.UploadFiles(InputFileContent.CreateFromBinary("not a graph"u8.ToArray(), "broken.onnx"));
        page.Find("[data-add-model]").Click();
        page.WaitForAssertion(() => Assert.Contains("broken.onnx", page.Find("[data-model-error]").TextContent), TimeSpan.FromSeconds(30));
        Assert.Equal("file", page.Find("[data-model-error]").GetAttribute("data-model-error"));
        Assert.Equal(2, page.FindAll("[data-model-row]").Count);

        modelInput.UploadFiles(InputFileContent.CreateFromBinary(File.ReadAllBytes(SharedResources.Model), "third.onnx"));
        page.Find("[data-field='mean'] input, input[data-field='mean']").Change("0.5,0.5,0.5");
        page.Find("[data-add-model]").Click();
        page.WaitForAssertion(() => Assert.Contains("Added 'third'", page.Find("[data-models-message]").TextContent), TimeSpan.FromSeconds(60));
        Assert.Empty(page.FindAll("[data-model-error]"));
        Assert.Equal([0.5f, 0.5f, 0.5f], new ModelCatalog(_folder).Find("third")!.Manifest!.Mean);
    }
}
