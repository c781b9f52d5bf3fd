using System.Security.Cryptography;
using CamStudio.Engine.Imaging;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Catalog;

/// <summary>A model <see cref="ModelPuller"/> knows how to download, with the checksum its file must have.</summary>
/// <param name="Name">Catalog name it is added under.</param>
/// <param name="FileName">Model file name (also the last segment of its URL).</param>
/// <param name="ModelUri">Default download address of the model file.</param>
/// <param name="Sha256">Expected lower-case hex SHA-256 of the model file.</param>
/// <param name="LabelsFileName">Labels file name (also the last segment of its URL under a base URL).</param>
/// <param name="LabelsUri">Default download address of the labels.</param>
/// <param name="ClassCount">Number of class names the labels file must have.</param>
public sealed record PullableModel(
    string Name,
    string FileName,
    Uri ModelUri,
    string Sha256,
    string LabelsFileName,
    Uri LabelsUri,
    int ClassCount,
    PreprocessingSpec Preprocessing,
    string License,
    string Description);

/// <summary>Options of <see cref="ModelPuller.PullAsync"/>.</summary>
public sealed record PullOptions
{
    /// <summary>Labels address, overriding both the default and the base URL.</summary>
    public Uri? LabelsUri { get; init; }

    /// <summary>Download again and replace a model already present.</summary>
    public bool Force { get; init; }

    /// <summary>Device the validation load uses (default: the engine's, <see cref="Runtime.TorchRuntime.DefaultDevice"/>).</summary>
    public Device? Device { get; init; }

    /// <summary>Runs the final (torch) add step, e.g. <c>add =&gt; executor.RunAsync(_ =&gt; add())</c>; null runs it inline.</summary>
    public Func<Func<AddModelResult>, Task<AddModelResult>>? RunAdd { get; init; }
}

/// <summary>
/// Downloads a known model into the models folder: model file and labels go to a work folder inside the models
/// folder, the SHA-256 and the labels count are checked, and only then <see cref="ModelCatalog.Add"/> files it.
/// A bad download leaves nothing behind.
/// </summary>
public sealed class ModelPuller
{
    /// <summary>Largest file a pull accepts (a guard against a wrong URL serving something huge).</summary>
    public const long MaxDownloadBytes = 1L << 30;

    private readonly ModelCatalog _catalog;
    private readonly HttpClient _http;

    /// <param name="http">Client to download with (default: a shared one with a 10-minute timeout).</param>
    public ModelPuller(ModelCatalog catalog, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
        _http = http ?? SharedClient.Value;
    }

    /// <summary>Models that can be pulled, by name.</summary>
    public static IReadOnlyDictionary<string, PullableModel> Known { get; } = new Dictionary<string, PullableModel>(StringComparer.OrdinalIgnoreCase)
    {
        ["mobilenetv2"] = new(
            Name: "mobilenetv2",
            FileName: "mobilenetv2-12-int8.onnx",
            ModelUri: new Uri("https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx"),
            Sha256: "83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f",
            LabelsFileName: "imagenet_classes.txt",
            // PyTorch Hub's ImageNet class names, one per line in torchvision's (= this model's) output order.
            LabelsUri: new Uri("https://raw.githubusercontent.com/pytorch/hub/master/imagenet_classes.txt"),
            ClassCount: 1000,
            Preprocessing: PreprocessingSpec.ImageNet(),
            License: "Apache-2.0 (ONNX Model Zoo)",
            Description: "ImageNet MobileNetV2, int8 (ONNX Model Zoo)"),
    };

    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(10) });

    /// <summary>
    /// Downloads <paramref name="name"/> and adds it to the catalog. With <paramref name="baseUri"/>, both files come
    /// from it (<c>baseUri/&lt;file name&gt;</c>). A usable model already present is kept (Added = false) unless
    /// <see cref="PullOptions.Force"/>. The final add builds the model once to validate it: through
    /// <see cref="PullOptions.RunAdd"/> when given (the torch thread), else on the thread the last download finished on.
    /// </summary>
    public async Task<AddModelResult> PullAsync(
        string name,
        Uri? baseUri = null,
        PullOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new PullOptions();
        bool force = options.Force;
        Uri? labelsUri = options.LabelsUri;
        if (!Known.TryGetValue(name, out PullableModel? model))
            throw new ModelCatalogException($"No model named '{name}' can be pulled; known: {string.Join(", ", Known.Keys)}. Add other models with 'camstudio models add FILE'.");

        CatalogEntry? present = _catalog.Find(model.Name);
        if (present is { IsUsable: true } && !force)
            return new AddModelResult(present, Added: false, Replaced: false);

        Uri modelUri = baseUri is null ? model.ModelUri : Under(baseUri, model.FileName);
        Uri labelsAddress = labelsUri ?? (baseUri is null ? model.LabelsUri : Under(baseUri, model.LabelsFileName));

        bool createdRoot = !Directory.Exists(_catalog.Directory);
        string work = Path.Combine(_catalog.Directory, $".pulling-{model.Name}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(work);
            string modelFile = Path.Combine(work, model.FileName);
            string sha256 = await DownloadAsync(modelUri, modelFile, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(sha256, model.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelCatalogException(
                    $"SHA-256 mismatch for {model.FileName} downloaded from {modelUri}: got {sha256}, expected {model.Sha256}. " +
                    "The download is corrupt or the file changed upstream; nothing was added.");

            string labelsFile = Path.Combine(work, model.LabelsFileName);
            await DownloadAsync(labelsAddress, labelsFile, cancellationToken).ConfigureAwait(false);
            int labelCount = ClassLabelsFile.Read(labelsFile).Count;
            if (labelCount != model.ClassCount)
                throw new ModelCatalogException(
                    $"The labels downloaded from {labelsAddress} have {labelCount} class names, expected {model.ClassCount}; nothing was added.");

            cancellationToken.ThrowIfCancellationRequested();
            var addOptions = new AddModelOptions
            {
                Name = model.Name,
                Labels = labelsFile,
                InputSize = model.Preprocessing.InputWidth,
                Mean = model.Preprocessing.Mean,
                Std = model.Preprocessing.Std,
                Resize = model.Preprocessing.Resize,
                License = model.License,
                Source = modelUri.ToString(),
                Force = force || present is not null,
            };
            AddModelResult Add() => _catalog.Add(modelFile, addOptions, options.Device);
            return options.RunAdd is null ? Add() : await options.RunAdd(Add).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"Could not pull '{model.Name}' into {_catalog.Directory}: {e.Message}", e);
        }
        finally
        {
            TryDelete(work);
            if (createdRoot && Directory.Exists(_catalog.Directory) && !Directory.EnumerateFileSystemEntries(_catalog.Directory).Any())
                TryDelete(_catalog.Directory);
        }
    }

    private static Uri Under(Uri baseUri, string fileName)
    {
        string text = baseUri.ToString();
        return new Uri(text.EndsWith('/') ? text + fileName : text + "/" + fileName);
    }

    /// <summary>Streams <paramref name="uri"/> to <paramref name="destination"/>; returns its SHA-256.</summary>
    private async Task<string> DownloadAsync(Uri uri, string destination, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ModelCatalogException($"Could not download {uri}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelCatalogException($"Downloading {uri} timed out.", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new ModelCatalogException($"Could not download {uri}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            if (response.Content.Headers.ContentLength > MaxDownloadBytes)
                throw new ModelCatalogException($"{uri} is {response.Content.Headers.ContentLength:N0} bytes, more than the {MaxDownloadBytes:N0} a pull accepts.");

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using Stream input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            int read;
            try
            {
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > MaxDownloadBytes)
                        throw new ModelCatalogException($"{uri} is larger than the {MaxDownloadBytes:N0} bytes a pull accepts.");
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (HttpRequestException e)
            {
                throw new ModelCatalogException($"Downloading {uri} failed part way: {e.Message}", e);
            }
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Work folders start with '.', so a leftover one is never listed as a model.
        }
    }
}
