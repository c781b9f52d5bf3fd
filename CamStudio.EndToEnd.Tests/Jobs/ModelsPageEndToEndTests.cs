using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// The Models page in Debian's Chromium: add an ONNX model with its labels, see it listed and offered on the Jobs
/// page, make it the default, refuse a broken file with the catalog's message; screenshots in both sizes and themes.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ModelsPageEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _models = Path.Combine(Path.GetTempPath(), $"camstudio-models-e2e-{Guid.NewGuid():N}");
    private readonly string _uploads = Path.Combine(Path.GetTempPath(), $"camstudio-models-e2e-files-{Guid.NewGuid():N}");
    private JobsAppFactory? _app;
    private E2eBrowser? _browser;

    public async Task InitializeAsync()
    {
        new ModelCatalog(_models).Add(SharedResources.Model, new AddModelOptions { Name = "mobilenetv2", Labels = SharedResources.ImageNetLabels }, TorchRuntime.DefaultDevice);
        Directory.CreateDirectory(_uploads);
        File.Copy(SharedResources.Model, Path.Combine(_uploads, "mobilenet-copy.onnx"));
        File.Copy(SharedResources.ImageNetLabels, Path.Combine(_uploads, "labels.txt"));
        await File.WriteAllTextAsync(Path.Combine(_uploads, "broken.onnx"), "not a graph");
        _app = new JobsAppFactory(kestrel: true, modelsDirectory: _models);
        _browser = await E2eBrowser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _app?.Dispose();
        Directory.Delete(_models, recursive: true);
        Directory.Delete(_uploads, recursive: true);
    }

    [Fact]
    public async Task AModelAddedOnTheModelsPageIsListedOfferedForJobsAndCanBeTheDefault()
    {
        IPage page = await _browser!.NewPageAsync("models", Timeout, PageShots.Context(phone: false, dark: false));
        try
        {
            await page.GotoAsync($"{_app!.ServerAddress}models");
            await page.WaitForSelectorAsync("[data-models-page][data-interactive='true']");

            // A broken file: the catalog's message, and the list is unchanged.
            await page.Locator("[data-upload=file] input[type=file]").First.SetInputFilesAsync(Path.Combine(_uploads, "broken.onnx"));
            await page.ClickAsync("[data-add-model]");
            await Assertions.Expect(page.Locator("[data-model-error]")).ToContainTextAsync("broken.onnx", new() { Timeout = 60_000 });
            Assert.Equal(1, await page.Locator("[data-model-row]").CountAsync());

            await page.Locator("[data-upload=file] input[type=file]").First.SetInputFilesAsync(Path.Combine(_uploads, "mobilenet-copy.onnx"));
            await page.Locator("[data-upload=labels] input[type=file]").First.SetInputFilesAsync(Path.Combine(_uploads, "labels.txt"));
            await page.ClickAsync("[data-add-model]");
            await Assertions.Expect(page.Locator("[data-models-message]")).ToContainTextAsync("Added 'mobilenet-copy'", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("[data-model-row='mobilenet-copy']")).ToBeVisibleAsync();
            Assert.True(new ModelCatalog(_models).Find("mobilenet-copy")?.IsUsable);

            await page.ClickAsync("[data-set-default='mobilenet-copy']");
            await Assertions.Expect(page.Locator("[data-is-default='true']")).ToHaveAttributeAsync("data-model-row", "mobilenet-copy");

            await ShootAsync();

            // The Jobs page offers it, and names it as the default.
            await page.GotoAsync($"{_app.ServerAddress}jobs");
            await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");
            Assert.Contains("default (mobilenet-copy)", await page.Locator("[data-model-picker]").InnerTextAsync());
            _browser.AssertNoErrors();
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "models-page-failure");
            throw;
        }
    }

    private async Task ShootAsync()
    {
        foreach (var (size, phone) in PageShots.Sizes)
        {
            foreach (bool dark in new[] { false, true })
            {
                string theme = dark ? "dark" : "light";
                IPage page = await _browser!.NewPageAsync($"models-{size}-{theme}", Timeout, PageShots.Context(phone, dark));
                await page.GotoAsync($"{_app!.ServerAddress}models");
                await page.WaitForSelectorAsync("[data-models-page][data-interactive='true']");
                await PageShots.UseThemeAsync(page, dark);
                await PageShots.ShootAsync(page, $"models-{size}-{theme}");
                await page.Context.CloseAsync();
            }
        }
    }
}
