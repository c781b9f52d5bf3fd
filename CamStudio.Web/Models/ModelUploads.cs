using CamStudio.Engine;
using CamStudio.Engine.Models.Catalog;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Models;

/// <summary>
/// Adds an uploaded model through the engine: the files go to a private temporary folder (at most the configured
/// bytes are read), then <see cref="CamEngine.AddCatalogModelAsync"/> runs the checks of <c>camstudio models add</c>
/// and stages the model; the temporary folder is deleted whatever happens, so a refused file leaves nothing behind.
/// </summary>
public sealed class ModelUploads(CamEngine engine, IOptions<ModelUploadOptions> options)
{
    public ModelUploadOptions Limits => options.Value;

    /// <summary>
    /// Adds the model; a refusal is a <see cref="ModelUploadException"/> (a field of the form) or a
    /// <see cref="CamRequestException"/> with the catalog's message.
    /// </summary>
    public async Task<EngineModelSummary> AddAsync(ModelUpload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var addOptions = new AddModelOptions
        {
            Name = string.IsNullOrWhiteSpace(upload.Name) ? null : upload.Name.Trim(),
            Architecture = string.IsNullOrWhiteSpace(upload.Architecture) ? null : upload.Architecture.Trim(),
            InputSize = upload.ParseSize(),
            Resize = upload.ParseResize(),
            Mean = ModelUpload.ParseTriple("mean", upload.Mean),
            Std = ModelUpload.ParseTriple("std", upload.Std),
            Force = upload.Replace,
            Source = $"uploaded in the studio ({Path.GetFileName(upload.Model.FileName)})",
        };
        string folder = Path.Combine(Path.GetTempPath(), "camstudio-model-uploads", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string model = await SaveAsync(upload.Model, folder, "file", Limits.MaxModelBytes, cancellationToken);
            string? labels = upload.Labels is null ? null : await SaveAsync(upload.Labels, folder, "labels", Limits.MaxLabelsBytes, cancellationToken);
            // Without --name the catalog names a model after its file: keep the browser's file name for that.
            return await engine.AddCatalogModelAsync(model, addOptions with { Labels = labels }, cancellationToken);
        }
        catch (CamRequestException ex)
        {
            // The catalog names files by path: the user knows them by the names they uploaded, not our temp folder.
            string message = ex.Message.Replace(Path.Combine(folder, "file") + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
                .Replace(Path.Combine(folder, "labels") + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
            throw new CamRequestException(ex.Kind, ex.Field, message, ex);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A temp folder left behind costs disk, never correctness.
            }
        }
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes of <paramref name="file"/> into <paramref name="folder"/> under its own (sanitised) name.</summary>
    private static async Task<string> SaveAsync(ModelUploadFile file, string folder, string field, long limit, CancellationToken cancellationToken)
    {
        string name = SafeName(file.FileName, field);
        string subfolder = Path.Combine(folder, field);
        Directory.CreateDirectory(subfolder);
        string path = Path.Combine(subfolder, name);
        await using Stream source = OpenLimited(file, limit, field);
        await using (FileStream target = File.Create(path))
        {
            byte[] buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > limit)
                    throw TooLarge(field, file.FileName, limit);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            if (total == 0)
                throw new ModelUploadException(field, $"{file.FileName} is empty.");
        }
        return path;
    }

    private static Stream OpenLimited(ModelUploadFile file, long limit, string field)
    {
        try
        {
            return file.Open(limit);
        }
        catch (IOException)
        {
            // Blazor's browser file refuses to open past its limit.
            throw TooLarge(field, file.FileName, limit);
        }
    }

    private static ModelUploadException TooLarge(string field, string fileName, long limit) =>
        new(field, $"{fileName} is larger than the {Size(limit)} a {(field == "labels" ? "labels file" : "model file")} may have (CamStudio:Models:{(field == "labels" ? "MaxLabelsBytes" : "MaxModelBytes")}).");

    /// <summary>The file's own name without any folder part, or a refusal for names that are no file name.</summary>
    private static string SafeName(string fileName, string field)
    {
        string name = Path.GetFileName(fileName.Replace('\\', '/'));
        if (name.Length == 0 || name is "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Length > 200)
            throw new ModelUploadException(field, $"'{fileName}' is not a usable file name.");
        return name;
    }

    internal static string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.##} GiB" : $"{bytes / (double)(1L << 20):0.#} MiB";
}
