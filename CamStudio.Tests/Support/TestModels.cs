using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// A models folder in the temp directory holding the shared MobileNetV2 as "mobilenetv2", the default model. It is
/// kept between runs (the catalog's add is atomic and skips a model that is already there).
/// </summary>
public static class TestModels
{
    private static readonly Lazy<string> Folder = new(() => Create("models", ResizeMode.Stretch));
    private static readonly Lazy<string> CropFolder = new(() => Create("models-crop", ResizeMode.CenterCrop));

    public static string Directory => Folder.Value;

    /// <summary>A models folder holding the shared MobileNetV2 as "mobilenetv2" with <c>resize: center-crop</c> in its manifest.</summary>
    public static string CenterCropDirectory => CropFolder.Value;

    public const string DefaultModel = ModelCatalog.DefaultModelName;

    private static string Create(string name, ResizeMode resize)
    {
        string folder = Path.Combine(Path.GetTempPath(), "camstudio-jobs-tests", name);
        var catalog = new ModelCatalog(folder);
        // Add validates by loading the model: run it on a thread of its own, like the torch thread of the app.
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                catalog.Add(SharedResources.Model, new AddModelOptions { Name = DefaultModel, Labels = SharedResources.ImageNetLabels, IfMissing = true, Resize = resize });
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
            throw new InvalidOperationException($"Could not set up the test models folder {folder}: {error.Message}", error);
        return folder;
    }
}
