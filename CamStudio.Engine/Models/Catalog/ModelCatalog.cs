using System.Collections.Concurrent;
using System.Security.Cryptography;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Catalog;

/// <summary>
/// The models folder: lists the models in it (a broken one is listed with its reason, never hiding the others),
/// finds and loads them, and adds new ones atomically.
/// </summary>
/// <remarks>
/// Layout: <c>&lt;folder&gt;/&lt;name&gt;/model.json</c> plus the files the manifest names. Folders whose name starts
/// with '.' are work areas of an add in progress and are never listed. <see cref="Add"/> and <see cref="Load(string, Device, string?)"/>
/// build models, so call them on the torch thread.
/// </remarks>
public sealed class ModelCatalog
{
    /// <summary>The model used when none is named.</summary>
    public const string DefaultModelName = "mobilenetv2";

    /// <summary>Weights file extensions a torchvision model can be added from.</summary>
    public static IReadOnlyList<string> WeightsExtensions { get; } = [".pt", ".pth", ".bin", ".safetensors", ".dat"];

    // Files whose hash was checked against their manifest: path → (length, last write), so a model is hashed once per process.
    private static readonly ConcurrentDictionary<string, (long Length, DateTime LastWrite, string Sha256)> VerifiedFiles = new();

    public ModelCatalog(ModelsFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Folder = folder;
        StagingFolders.RemoveStale(Directory);
    }

    /// <summary>A catalog over <paramref name="directory"/> (as if given with --models-dir).</summary>
    public ModelCatalog(string directory) : this(new ModelsFolder(Path.GetFullPath(directory), ModelsFolderSource.CommandLine)) { }

    public ModelsFolder Folder { get; }

    private readonly object _defaultGate = new();
    private string? _chosenDefault;
    private bool _defaultRead;

    public string Directory => Folder.Path;

    /// <summary>Every model folder, sorted by name; broken ones carry their <see cref="CatalogEntry.Problem"/>.</summary>
    public IReadOnlyList<CatalogEntry> List()
    {
        if (!System.IO.Directory.Exists(Directory))
            return [];
        return new DirectoryInfo(Directory)
            .EnumerateDirectories()
            .Where(d => !d.Name.StartsWith('.'))
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .Select(d => Inspect(d.FullName))
            .ToList();
    }

    /// <summary>The model named <paramref name="name"/> (exact, else the only case-insensitive match), or null.</summary>
    public CatalogEntry? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!ModelManifest.IsValidName(name) || !System.IO.Directory.Exists(Directory))
            return null;
        string exact = Path.Combine(Directory, name);
        if (System.IO.Directory.Exists(exact))
            return Inspect(exact);
        var matches = new DirectoryInfo(Directory).EnumerateDirectories()
            .Where(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
            .ToList();
        return matches.Count == 1 ? Inspect(matches[0].FullName) : null;
    }

    /// <summary>The usable model named <paramref name="name"/>; otherwise an error that says how to add one.</summary>
    public CatalogEntry Get(string name)
    {
        CatalogEntry? entry = Find(name);
        if (entry is null)
            throw new ModelCatalogException(MissingModelMessage(name));
        entry.RequireUsable();
        return entry;
    }

    /// <summary>"No model named X in the models folder ... add one with ..." — the exact commands to get a model.</summary>
    public string MissingModelMessage(string name)
    {
        IReadOnlyList<CatalogEntry> present = List();
        string available = present.Count == 0
            ? "The folder has no models."
            : $"It has: {string.Join(", ", present.Select(e => e.Name))}.";
        string pull = ModelPuller.Known.ContainsKey(name) ? name : DefaultModelName;
        return $"No model named '{name}' in the models folder {Folder.Describe()}. {available} " +
               $"Add one with 'camstudio models pull {pull}' (downloads it) or " +
               $"'camstudio models add FILE.onnx --labels LABELS.txt --name {name}', or point {ModelsFolder.EnvironmentVariable} " +
               "(or --models-dir) at a folder that has it.";
    }

    /// <summary>
    /// Copies <paramref name="file"/> (and its labels) into a new model folder and writes its manifest, atomically:
    /// everything is staged in a work folder inside the models folder and validated (the model loads; its class
    /// count matches the labels) before one rename puts it in place. On any failure nothing is left behind and an
    /// existing model of the same name is untouched. Call on the torch thread.
    /// </summary>
    public AddModelResult Add(string file, AddModelOptions options, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        device ??= Runtime.TorchRuntime.DefaultDevice;

        string source = Path.GetFullPath(file);
        if (System.IO.Directory.Exists(source))
            throw new ModelCatalogException($"'{file}' is a folder; 'models add' takes a model file (.onnx) or a weights file (.pt, .pth, .safetensors, .dat).");
        if (!File.Exists(source))
            throw new ModelCatalogException($"Model file '{file}' does not exist.");
        ModelFormat format = FormatOf(source, options.Architecture);
        string name = options.Name ?? DefaultNameFor(source);
        if (!ModelManifest.IsValidName(name))
            throw new ModelCatalogException(
                $"'{name}' cannot be a model name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (set it with --name).");
        if (options.InputSize is < 8 or > 4096)
            throw new ModelCatalogException($"Input size {options.InputSize} is out of range (8 to 4096 pixels).");
        if (format == ModelFormat.TorchVision && options.Output is not null)
            throw new ModelCatalogException("--output names an ONNX graph output; a torchvision model has one output.");
        ValidateTriple("mean", options.Mean, mustBePositive: false);
        ValidateTriple("std", options.Std, mustBePositive: true);
        if (format == ModelFormat.TorchVision && !CatalogModelFactory.IsArchitecture(options.Architecture!))
            throw new ModelCatalogException(
                $"Unknown architecture '{options.Architecture}'. Known: {string.Join(", ", CatalogModelFactory.Architectures)}.");

        IReadOnlyList<string>? labels = null;
        string? labelsSource = null;
        if (options.Labels is not null)
        {
            labelsSource = Path.GetFullPath(options.Labels);
            labels = ClassLabelsFile.Read(labelsSource);
        }

        string? existing = ExistingFolderFor(name);
        if (existing is not null)
        {
            CatalogEntry current = Inspect(existing);
            if (options.IfMissing && current.IsUsable)
                return new AddModelResult(current, Added: false, Replaced: false);
            if (!options.Force)
            {
                string state = current.IsUsable ? "" : $" (it is broken: {current.Problem})";
                throw new ModelCatalogException(
                    $"A model named '{current.Name}' already exists in {Directory}{state}; use --force to replace it, or --name to add this one under another name.");
            }
        }

        bool createdRoot = !System.IO.Directory.Exists(Directory);
        string stage = Path.Combine(Directory, $"{StagingFolders.Prefix}{name}-{Guid.NewGuid():N}");
        FileStream? stageLock = null;
        try
        {
            System.IO.Directory.CreateDirectory(stage);
            stageLock = StagingFolders.Lock(stage);
            string modelFileName = Path.GetFileName(source);
            if (modelFileName == ModelManifest.FileName)
                modelFileName = format == ModelFormat.Onnx ? "model.onnx" : "weights.pt";
            string sha256 = CopyAndHash(source, Path.Combine(stage, modelFileName));

            string? labelsFileName = null;
            if (labelsSource is not null)
            {
                labelsFileName = Path.GetFileName(labelsSource);
                if (labelsFileName == ModelManifest.FileName || labelsFileName == modelFileName)
                    labelsFileName = "labels.txt";
                File.Copy(labelsSource, Path.Combine(stage, labelsFileName));
            }

            var manifest = new ModelManifest
            {
                Name = name,
                Format = format,
                Architecture = format == ModelFormat.TorchVision ? options.Architecture!.ToLowerInvariant() : null,
                File = modelFileName,
                Labels = labelsFileName,
                InputSize = options.InputSize ?? OwnInputSize(format, source, options.Architecture),
                Output = options.Output,
                Mean = options.Mean ?? PreprocessingSpec.ImageNet().Mean,
                Std = options.Std ?? PreprocessingSpec.ImageNet().Std,
                Resize = options.Resize,
                DefaultLayer = string.IsNullOrWhiteSpace(options.DefaultLayer) ? "auto" : options.DefaultLayer,
                License = options.License,
                Source = options.Source ?? source,
                Sha256 = sha256,
            };
            File.WriteAllText(Path.Combine(stage, ModelManifest.FileName), manifest.ToJson());

            Validate(manifest, stage, file, options.Labels, labels, device);

            string target = Path.Combine(Directory, name);
            if (existing is not null)
                SwapInto(stage, existing, target);
            else
                System.IO.Directory.Move(stage, target);
            return new AddModelResult(Inspect(target), Added: true, Replaced: existing is not null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"Could not add '{file}' to {Directory}: {e.Message}", e);
        }
        finally
        {
            TryDeleteDirectory(stage);
            stageLock?.Dispose();
            if (createdRoot && System.IO.Directory.Exists(Directory) && !System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
                TryDeleteDirectory(Directory);
        }
    }

    /// <summary>
    /// Loads a model: a catalog name, a model folder (with model.json), an .onnx file (ImageNet preprocessing, no
    /// labels), or a torchvision architecture name with <paramref name="weights"/>. Call on the torch thread.
    /// </summary>
    public ICamModel Load(string nameOrPath, Device device, string? weights = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        ArgumentNullException.ThrowIfNull(device);

        if (weights is not null)
        {
            if (!CatalogModelFactory.IsArchitecture(nameOrPath))
                throw new ModelCatalogException(
                    $"--weights needs --model to be a torchvision architecture, not '{nameOrPath}'. Known: {string.Join(", ", CatalogModelFactory.Architectures)}.");
            if (!File.Exists(weights))
                throw new ModelCatalogException($"Weights file '{weights}' does not exist.");
            return Wrap(weights, () => CatalogModelFactory.CreateTorchVision(
                nameOrPath.ToLowerInvariant(), Path.GetFullPath(weights), PreprocessingSpec.ImageNet(), null, device, nameOrPath.ToLowerInvariant()));
        }

        if (System.IO.Directory.Exists(nameOrPath) && File.Exists(Path.Combine(nameOrPath, ModelManifest.FileName)))
            return Load(Inspect(Path.GetFullPath(nameOrPath)), device);

        if (File.Exists(nameOrPath))
        {
            string path = Path.GetFullPath(nameOrPath);
            if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                throw new ModelCatalogException(
                    $"'{nameOrPath}' is not an .onnx file; for a weights file use --model ARCHITECTURE --weights '{nameOrPath}' (or add it with 'camstudio models add').");
            return Wrap(nameOrPath, () => CatalogModelFactory.CreateOnnx(path, PreprocessingSpec.ImageNet(), null, device, Path.GetFileNameWithoutExtension(path),
                sizeFromModel: true));
        }

        CatalogEntry? entry = Find(nameOrPath);
        if (entry is not null)
            return Load(entry, device);

        if (CatalogModelFactory.IsArchitecture(nameOrPath))
            throw new ModelCatalogException(
                $"'{nameOrPath}' is a torchvision architecture but not a model in {Directory}: give its weights with --weights FILE (CamStudio never downloads weights by itself), or add it with 'camstudio models add FILE --arch {nameOrPath}'.");
        if (LooksLikePath(nameOrPath))
            throw new ModelCatalogException($"Model file '{nameOrPath}' does not exist.");
        throw new ModelCatalogException(MissingModelMessage(nameOrPath));
    }

    /// <summary>Loads a listed model (its labels, preprocessing and checked SHA-256). Call on the torch thread.</summary>
    public ICamModel Load(CatalogEntry entry, Device device)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ModelManifest manifest = entry.RequireUsable();
        string modelFile = entry.ModelFile!;
        if (manifest.Sha256 is not null)
        {
            string actual = CachedSha256(modelFile);
            if (!string.Equals(actual, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelCatalogException(
                    $"Model '{entry.Name}': {modelFile} has SHA-256 {actual} but its model.json says {manifest.Sha256}; the file changed or is corrupt (add it again with 'camstudio models add ... --force').");
        }
        IReadOnlyList<string>? labels = entry.LabelsFile is null ? null : ClassLabelsFile.Read(entry.LabelsFile);
        return Wrap(modelFile, () => CatalogModelFactory.Create(manifest, entry.Directory, labels, device));
    }

    /// <summary>The file in the models folder that names the chosen default model (its name cannot be a model's: it starts with '.').</summary>
    public string ChosenDefaultFile => Path.Combine(Directory, ".default-model");

    /// <summary>The model chosen as default with <see cref="SetChosenDefault"/> (kept in <see cref="ChosenDefaultFile"/>), or null.</summary>
    public string? ChosenDefault
    {
        get
        {
            lock (_defaultGate)
            {
                if (!_defaultRead)
                {
                    _chosenDefault = ReadChosenDefault();
                    _defaultRead = true;
                }
                return _chosenDefault;
            }
        }
    }

    /// <summary>Makes <paramref name="name"/> (a usable model of this folder) the default; null forgets the choice.</summary>
    public void SetChosenDefault(string? name)
    {
        lock (_defaultGate)
        {
            if (name is null)
            {
                if (File.Exists(ChosenDefaultFile))
                    File.Delete(ChosenDefaultFile);
            }
            else
            {
                CatalogEntry entry = Get(name);
                string temporary = ChosenDefaultFile + ".partial";
                File.WriteAllText(temporary, entry.Name + "\n");
                File.Move(temporary, ChosenDefaultFile, overwrite: true);
                name = entry.Name;
            }
            (_chosenDefault, _defaultRead) = (name, true);
        }
    }

    private string? ReadChosenDefault()
    {
        try
        {
            string? name = File.Exists(ChosenDefaultFile) ? File.ReadAllText(ChosenDefaultFile).Trim() : null;
            return name is not null && ModelManifest.IsValidName(name) ? name : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // an unreadable choice falls back to the configured default
        }
    }

    /// <summary>Deletes a model's folder (and forgets it as the chosen default); false when there is no such model.</summary>
    public bool Remove(string name)
    {
        CatalogEntry? entry = Find(name);
        if (entry is null)
            return false;
        if (string.Equals(ChosenDefault, entry.Name, StringComparison.OrdinalIgnoreCase))
            SetChosenDefault(null);
        // Rename first so a half-deleted folder is never listed as a model.
        string trash = Path.Combine(Directory, $".removing-{entry.Name}-{Guid.NewGuid():N}");
        System.IO.Directory.Move(entry.Directory, trash);
        TryDeleteDirectory(trash);
        return true;
    }

    /// <summary>Reads one model folder: its manifest, whether the files it names exist, and its labels count.</summary>
    public static CatalogEntry Inspect(string modelDirectory)
    {
        string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(modelDirectory));
        string manifestPath = Path.Combine(modelDirectory, ModelManifest.FileName);
        if (!File.Exists(manifestPath))
            return new CatalogEntry(folderName, modelDirectory, null, null, $"no {ModelManifest.FileName} in {modelDirectory}");
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Read(manifestPath);
        }
        catch (ModelCatalogException e)
        {
            return new CatalogEntry(folderName, modelDirectory, null, null, e.Message);
        }

        if (manifest.Name != folderName)
            return new CatalogEntry(folderName, modelDirectory, manifest, null,
                $"{manifestPath}: field 'name' is \"{manifest.Name}\" but the folder is '{folderName}' (they must match).");
        string modelFile = Path.Combine(modelDirectory, manifest.File);
        if (!File.Exists(modelFile))
            return new CatalogEntry(folderName, modelDirectory, manifest, null, $"{manifestPath}: its file '{manifest.File}' is missing.");
        int? classCount = null;
        if (manifest.Labels is not null)
        {
            string labelsFile = Path.Combine(modelDirectory, manifest.Labels);
            if (!File.Exists(labelsFile))
                return new CatalogEntry(folderName, modelDirectory, manifest, null, $"{manifestPath}: its labels file '{manifest.Labels}' is missing.");
            try
            {
                classCount = ClassLabelsFile.Read(labelsFile).Count;
            }
            catch (ModelCatalogException e)
            {
                return new CatalogEntry(folderName, modelDirectory, manifest, null, e.Message);
            }
        }
        return new CatalogEntry(folderName, modelDirectory, manifest, classCount, null);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void Validate(ModelManifest manifest, string stage, string file, string? labelsFile, IReadOnlyList<string>? labels, Device device)
    {
        // Build without labels first so a count mismatch gets our own message naming both files.
        using ICamModel model = Wrap(file, () => CatalogModelFactory.Create(manifest, stage, null, device));
        if (labels is not null && labels.Count != model.Labels.Count)
            throw new ModelCatalogException(
                $"Labels file '{labelsFile}' has {labels.Count} class names but model '{file}' outputs {model.Labels.Count} classes.");
        if (!string.Equals(manifest.DefaultLayer, "auto", StringComparison.OrdinalIgnoreCase) && model.Layers.All(l => l.Name != manifest.DefaultLayer))
            throw new ModelCatalogException($"Model '{file}' has no layer '{manifest.DefaultLayer}' to use as its default layer.");
    }

    /// <summary>Runs a model build; any failure becomes a <see cref="ModelCatalogException"/> naming the file.</summary>
    private static ICamModel Wrap(string file, Func<ICamModel> build)
    {
        try
        {
            return build();
        }
        catch (ModelCatalogException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string reason = DisplayText.NativeMessage(e);
            string message = reason.Contains(Path.GetFileName(file), StringComparison.Ordinal)
                ? reason
                : $"'{file}' could not be loaded: {reason}";
            throw new ModelCatalogException(message, e);
        }
    }

    private static ModelFormat FormatOf(string path, string? architecture)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".onnx")
        {
            if (architecture is not null)
                throw new ModelCatalogException($"'{path}' is an ONNX model; --arch only applies to weights files (.pt, .pth, .safetensors, .dat).");
            return ModelFormat.Onnx;
        }
        if (WeightsExtensions.Contains(extension))
        {
            if (architecture is null)
                throw new ModelCatalogException(
                    $"'{path}' is a weights file: say which torchvision architecture it is for with --arch NAME (known: {string.Join(", ", CatalogModelFactory.Architectures)}).");
            return ModelFormat.TorchVision;
        }
        throw new ModelCatalogException(
            $"Cannot tell what '{path}' is from its extension '{extension}': add an .onnx model, or a weights file ({string.Join(", ", WeightsExtensions)}) with --arch NAME.");
    }

    private static string DefaultNameFor(string path)
    {
        string stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        var chars = stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray();
        string name = new string(chars).Trim('.', '_', '-');
        return name.Length > 64 ? name[..64] : name;
    }

    /// <summary>The size a model takes when none was given: an ONNX graph's fixed square input size, the architecture's, else 224.</summary>
    private static int OwnInputSize(ModelFormat format, string source, string? architecture)
    {
        if (format == ModelFormat.TorchVision)
            return TorchVisionModels.Get(architecture!.ToLowerInvariant()).InputSize;
        try
        {
            return OnnxInputSize.Declared(source) is { } size && size.Width == size.Height ? size.Width : PreprocessingSpec.ImageNet().InputWidth;
        }
        catch (OnnxImportException e)
        {
            throw new ModelCatalogException(e.Message, e);
        }
    }

    private static void ValidateTriple(string what, float[]? values, bool mustBePositive)
    {
        if (values is null)
            return;
        if (values.Length != 3 || values.Any(v => !float.IsFinite(v) || (mustBePositive && v <= 0)))
            throw new ModelCatalogException(
                $"--{what} needs 3 {(mustBePositive ? "positive " : "")}numbers (R,G,B), got {string.Join(",", values)}.");
    }

    private string? ExistingFolderFor(string name)
    {
        if (!System.IO.Directory.Exists(Directory))
            return null;
        return new DirectoryInfo(Directory).EnumerateDirectories()
            .Where(d => !d.Name.StartsWith('.'))
            .FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))?.FullName;
    }

    /// <summary>Replaces <paramref name="existing"/> with <paramref name="stage"/>; the old folder comes back if the swap fails.</summary>
    private void SwapInto(string stage, string existing, string target)
    {
        string backup = Path.Combine(Directory, $".replacing-{Path.GetFileName(existing)}-{Guid.NewGuid():N}");
        System.IO.Directory.Move(existing, backup);
        try
        {
            System.IO.Directory.Move(stage, target);
        }
        catch
        {
            System.IO.Directory.Move(backup, existing);
            throw;
        }
        TryDeleteDirectory(backup);
    }

    private static string CopyAndHash(string source, string destination)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 16];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            output.Write(buffer, 0, read);
        }
        output.Flush(flushToDisk: true);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string CachedSha256(string path)
    {
        var info = new FileInfo(path);
        if (VerifiedFiles.TryGetValue(info.FullName, out var known) && known.Length == info.Length && known.LastWrite == info.LastWriteTimeUtc)
            return known.Sha256;
        string sha = Sha256Of(info.FullName);
        VerifiedFiles[info.FullName] = (info.Length, info.LastWriteTimeUtc, sha);
        return sha;
    }

    private static bool LooksLikePath(string text) =>
        text.IndexOfAny(['/', '\\']) >= 0
        || text.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
        || WeightsExtensions.Any(e => text.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
                System.IO.Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover work folder starts with '.', so it is never listed as a model.
        }
    }
}
