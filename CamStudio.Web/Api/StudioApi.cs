using System.Globalization;
using CamStudio.Engine.Cam;
using CamStudio.Web.Services;
using CamStudio.Web.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Api;

/// <summary>
/// The HTTP API for scripts: <c>POST /api/explain</c>, <c>GET /api/models</c> and <c>GET /healthz</c>.
/// Every error is an RFC 7807 problem details document whose <c>detail</c> says what was wrong.
/// </summary>
public static class StudioApi
{
    public const int MaxMethods = 8;
    public const int MaxClasses = 10;

    public static IEndpointRouteBuilder MapStudioApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).ExcludeFromDescription();

        RouteGroupBuilder api = routes.MapGroup("/api");
        api.MapGet("/models", (IStudioEngine engine) =>
        {
            ModelFolder folder = engine.GetModels();
            return Results.Ok(new ModelsResponse(folder.Directory, folder.DefaultModel,
                folder.Models.Select(m => new ModelResponse(m.Name, m.Description)).ToList(),
                engine.Methods.Select(m => m.Id).ToList(), engine.Colormaps));
        });
        api.MapGet("/models/{name}", async (string name, IStudioEngine engine, CancellationToken cancellationToken) =>
        {
            try
            {
                ModelDetails details = await engine.GetModelDetailsAsync(name, cancellationToken);
                return Results.Ok(new ModelDetailsResponse(details.Name, details.Labels.Count, details.AutoLayer,
                    details.Layers.Select(l => new LayerResponse(l.Name, l.Shape, l.Kind, l.IsSpatial)).ToList()));
            }
            catch (StudioInputException ex)
            {
                return Problem(ex.StatusCode, ex.Title, ex.Message);
            }
        });
        // The endpoint reads the form itself, so a body over the limit becomes a 413 problem, not a bare status.
        api.MapPost("/explain", ExplainAsync).DisableAntiforgery();
        return routes;
    }

    private static async Task<IResult> ExplainAsync(HttpContext context, IStudioEngine engine, IOptions<StudioOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ILogger logger = loggers.CreateLogger(typeof(StudioApi));
        PhotoLimits limits = engine.Limits;
        if (!context.Request.HasFormContentType)
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Expected a multipart form",
                "Send multipart/form-data with the photo in a field named 'image' (e.g. curl -F image=@photo.jpg).");

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = limits.MaxBytes + 1024 * 1024; // the photo plus room for the other fields
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(
                new FormOptions { MultipartBodyLengthLimit = limits.MaxBytes + 1024 * 1024 }, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(null, limits);
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            return TooLarge(null, limits);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException or BadHttpRequestException or FormatException)
        {
            // Garbage multipart (no boundary, truncated parts, bad headers) is the client's error, never a 500.
            logger.LogInformation("Explain request with an unreadable form: {Message}", ex.Message.ReplaceLineEndings(" "));
            return Problem(StatusCodes.Status400BadRequest, "Malformed form",
                "The request body is not a readable multipart/form-data form (send the photo as a file field named 'image', e.g. curl -F image=@photo.jpg).");
        }

        IFormFile? image = form.Files.GetFile("image");
        if (image is null)
        {
            string sent = form.Files.Count == 0 ? "no file at all" : $"files named {string.Join(", ", form.Files.Select(f => $"'{f.Name}'"))}";
            return Results.ValidationProblem(
                new Dictionary<string, string[]> { ["image"] = [$"The photo must be sent in a file field named 'image'; the request had {sent}."] },
                detail: "Missing the 'image' field.", title: "Missing image");
        }
        if (image.Length > limits.MaxBytes)
            return TooLarge(image.FileName, limits);

        ModelFolder folder = engine.GetModels();
        string model = Field(form, "model") ?? folder.DefaultModel ?? "";
        if (model.Length == 0)
            return Problem(StatusCodes.Status503ServiceUnavailable, "No model",
                $"The models folder {folder.Directory} has no models; add one with 'camstudio models add FILE.onnx --labels LABELS.txt --name NAME'.");
        if (folder.Models.All(m => !m.Name.Equals(model, StringComparison.OrdinalIgnoreCase)))
            return Invalid("model", $"Unknown model '{model}'. Models in the folder: {Join(folder.Models.Select(m => m.Name))}.");

        List<string> methods = (Field(form, "methods") ?? engine.Methods.FirstOrDefault()?.Id ?? "gradcam")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (methods.Count == 0 || methods.Count > MaxMethods)
            return Invalid("methods", $"Give between 1 and {MaxMethods} comma-separated methods.");
        for (int i = 0; i < methods.Count; i++)
        {
            CamMethodInfo? known = engine.Methods.FirstOrDefault(m => m.Id.Equals(methods[i], StringComparison.OrdinalIgnoreCase));
            if (known is null)
                return Invalid("methods", $"Unknown method '{methods[i]}'. Valid methods: {Join(engine.Methods.Select(m => m.Id))}.");
            methods[i] = known.Id;
        }

        string colormap = Field(form, "colormap") ?? engine.Colormaps[0];
        string? knownColormap = engine.Colormaps.FirstOrDefault(c => c.Equals(colormap, StringComparison.OrdinalIgnoreCase));
        if (knownColormap is null)
            return Invalid("colormap", $"Unknown colormap '{colormap}'. Valid colormaps: {Join(engine.Colormaps)}.");

        float alpha = 0.5f;
        if (Field(form, "alpha") is { } alphaText &&
            (!float.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out alpha) || !(alpha >= 0f && alpha <= 1f)))
            return Invalid("alpha", $"alpha must be a number between 0 and 1, got '{alphaText}'.");

        string layer = Field(form, "layer") ?? "auto";
        try
        {
            ModelDetails details = await engine.GetModelDetailsAsync(model, cancellationToken);
            if (!layer.Equals("auto", StringComparison.OrdinalIgnoreCase) && details.Layers.All(l => l.Name != layer))
                return Invalid("layer", $"Unknown layer '{layer}' for model {details.Name}. Use 'auto' or one of the spatial layers, e.g. " +
                    $"{Join(details.Layers.Where(l => l.IsSpatial).TakeLast(5).Select(l => l.Name))}; GET /api/models lists models.");
            if (layer.Equals("auto", StringComparison.OrdinalIgnoreCase))
                layer = "auto";

            if (ParseClasses(Field(form, "classes"), details) is { Error: { } classError })
                return Invalid("classes", classError);
            ClassSelection classes = ParseClasses(Field(form, "classes"), details).Selection!;
            // Every map carries a full-size overlay and its raw map: the count is bounded before anything is computed.
            int mapCount = methods.Count * ClassCount(classes);
            int maxMaps = options.Value.MaxMapsPerResponse;
            if (mapCount > maxMaps)
                return Results.ValidationProblem(
                    new Dictionary<string, string[]> { ["classes"] = [$"{methods.Count} method(s) × {ClassCount(classes)} class(es) = {mapCount} maps; one response carries at most {maxMaps} (CamStudio:MaxMapsPerResponse)."] },
                    detail: $"The request asks for {mapCount} maps; one response carries at most {maxMaps} (CamStudio:MaxMapsPerResponse). Ask for fewer methods or classes, or use a batch job.",
                    title: "Too many maps", statusCode: StatusCodes.Status422UnprocessableEntity);

            StudioPhoto photo;
            await using (Stream upload = image.OpenReadStream())
                photo = await engine.DecodePhotoAsync(image.FileName, upload, cancellationToken);
            using (photo)
            {
                PhotoExplanation result = await engine.ExplainAsync(photo, details.Name, new ExplainRequest(methods, classes, layer),
                    StudioPriority.Scripted, cancellationToken);
                var style = new OverlayStyle(knownColormap, alpha);
                var maps = new List<MapResponse>(result.Maps.Count);
                foreach (ClassMap map in result.Maps)
                {
                    byte[] overlay = await engine.RenderOverlayPngAsync(photo, map.Map, style, fullResolution: true, cancellationToken);
                    maps.Add(new MapResponse(map.Method, map.ClassIndex, map.ClassName, map.Layer, map.Map.Width, map.Map.Height,
                        map.Map.Min, map.Map.Max, Convert.ToBase64String(overlay), Convert.ToBase64String(engine.EncodeNpy(map.Map))));
                }
                return Results.Ok(new ExplainResponse(details.Name, new PhotoResponse(image.FileName, photo.Width, photo.Height),
                    result.TopPredictions.Select(p => new PredictionResponse(p.ClassIndex, p.ClassName, p.Probability)).ToList(), maps));
            }
        }
        catch (StudioInputException ex)
        {
            logger.LogInformation("Explain request rejected: {Message}", ex.Message);
            return Problem(ex.StatusCode, ex.Title, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Problem(499, "Cancelled", "The client cancelled the request.");
        }
        catch (Exception ex)
        {
            // The body names the photo and an id to find the log entry; the exception's type, text and any server
            // path stay in the log.
            string errorId = context.TraceIdentifier;
            logger.LogError(ex, "Explain request failed for {File} (error id {ErrorId})", image.FileName, errorId);
            return Problem(StatusCodes.Status500InternalServerError, "Engine failure", $"The engine failed on {image.FileName}; see the server log (id {errorId}).");
        }
    }

    private static int ClassCount(ClassSelection classes) => classes switch
    {
        ClassSelection.TopK top => top.K,
        ClassSelection.Indices indices => indices.Classes.Count,
        _ => 1,
    };

    /// <summary>
    /// The <c>classes</c> field (syntax: <see cref="ClassSelectionParser"/>; top1 when absent), at most
    /// <see cref="MaxClasses"/> classes per request.
    /// </summary>
    internal static (ClassSelection? Selection, string? Error) ParseClasses(string? text, ModelDetails details)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (ClassSelection.Top1, null);
        ClassSelection selection;
        try
        {
            selection = ClassSelectionParser.Parse(text, details.Labels, details.Name);
        }
        catch (ClassSelectionException ex)
        {
            return (null, ex.Message);
        }
        return selection switch
        {
            ClassSelection.TopK { K: > MaxClasses } => (null, $"'{text.Trim()}': topK needs K between 1 and {MaxClasses}."),
            ClassSelection.Indices { Classes.Count: > MaxClasses } => (null, $"At most {MaxClasses} classes per request."),
            _ => (selection, null),
        };
    }

    private static string? Field(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && !string.IsNullOrWhiteSpace(values.ToString()) ? values.ToString().Trim() : null;

    private static string Join(IEnumerable<string> items) => string.Join(", ", items);

    private static IResult Invalid(string field, string detail) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [detail] }, detail: detail, title: $"Invalid '{field}'");

    private static IResult TooLarge(string? fileName, PhotoLimits limits) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Photo too large",
            $"{(fileName is null ? "The request" : fileName)} is larger than the {limits.MaxBytes / (1024 * 1024)} MB limit for a photo.");

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);
}

public sealed record ModelsResponse(string Directory, string? DefaultModel, IReadOnlyList<ModelResponse> Models, IReadOnlyList<string> Methods, IReadOnlyList<string> Colormaps);

public sealed record ModelResponse(string Name, string Description);

public sealed record ModelDetailsResponse(string Name, int ClassCount, string AutoLayer, IReadOnlyList<LayerResponse> Layers);

public sealed record LayerResponse(string Name, long[] Shape, string Kind, bool Spatial);

public sealed record ExplainResponse(string Model, PhotoResponse Image, IReadOnlyList<PredictionResponse> Predictions, IReadOnlyList<MapResponse> Maps);

public sealed record PhotoResponse(string FileName, int Width, int Height);

public sealed record PredictionResponse(int ClassIndex, string ClassName, float Probability);

/// <summary>One map: the overlay PNG and the raw map as .npy (float32, height × width), both base64.</summary>
public sealed record MapResponse(string Method, int ClassIndex, string ClassName, string Layer, int Width, int Height, float Min, float Max,
    string OverlayPng, string RawNpy);
