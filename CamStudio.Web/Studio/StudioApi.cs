using System.Globalization;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Runtime;
using CamStudio.Web.Access;
using CamStudio.Web.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Studio;

/// <summary>
/// The HTTP API for scripts: <c>POST /api/explain</c>, <c>GET /api/models</c>, <c>GET /api/models/{name}</c> and
/// <c>GET /healthz</c>. The engine understands every request; this parses the form and presents the result. Every
/// error is an RFC 7807 problem details document whose <c>detail</c> says what was wrong.
/// </summary>
public static class StudioApi
{
    public const int MaxMethods = 8;
    public const int MaxClasses = 10;

    public static IEndpointRouteBuilder MapStudioApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).ExcludeFromDescription();

        RouteGroupBuilder api = routes.MapGroup("/api");
        api.MapGet("/models", (IStudioEngine engine, StudioPictures pictures) =>
        {
            ModelFolder folder = ModelFolder.Of(engine);
            return Results.Ok(new ModelsResponse(folder.Directory, folder.DefaultModel,
                folder.Models.Select(m => new ModelResponse(m.Name, m.Description)).ToList(),
                engine.Methods.Select(m => m.Id).ToList(), pictures.Colormaps));
        });
        api.MapGet("/models/{name}", async (string name, string? layer, IStudioEngine engine, CancellationToken cancellationToken) =>
        {
            try
            {
                EngineModelDetails details = await engine.GetModelAsync(name, cancellationToken);
                IReadOnlyList<MethodAvailability> methods = await engine.MethodsForAsync(details.Name, layer, cancellationToken);
                return Results.Ok(new ModelDetailsResponse(details.Name, details.Labels.Count, details.AutoLayer, details.DefaultLayer,
                    details.Preprocessing.InputWidth, details.Preprocessing.InputHeight, details.Preprocessing.Resize.ToString(),
                    details.Layers.Select(l => new LayerResponse(l.Name, l.Shape, l.Kind, l.IsSpatial)).ToList(),
                    methods.Select(m => new MethodResponse(m.Id, m.DisplayName, m.IsAvailable, m.Reason, m.IsSlow,
                        m.Options.Select(o => new MethodOptionResponse(o.Name, o.Description, o.Default, o.Min, o.Max, o.IsInteger)).ToList())).ToList()));
            }
            catch (CamRequestException ex)
            {
                // The model is this route's resource: not having it is a 404, not a bad field.
                return ApiProblems.Of(ex, routeField: CamRequestFields.Model).Result;
            }
        });
        // The endpoint reads the form itself, so a body over the limit becomes a 413 problem, not a bare status.
        api.MapPost("/explain", ExplainAsync).DisableAntiforgery();
        return routes;
    }

    private static async Task<IResult> ExplainAsync(HttpContext context, IStudioEngine engine, StudioPictures pictures, IOptions<StudioOptions> options,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ILogger logger = loggers.CreateLogger(typeof(StudioApi));
        PhotoLimits limits = pictures.Limits;
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

        ModelFolder folder = ModelFolder.Of(engine);
        if (folder.IsEmpty && Field(form, "model") is null)
            return Problem(StatusCodes.Status503ServiceUnavailable, "No model",
                $"The models folder {folder.Directory} has no models; add one with 'camstudio models add FILE.onnx --labels LABELS.txt --name NAME'.");

        List<string> methods = (Field(form, "methods") ?? "gradcam")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (methods.Count == 0 || methods.Count > MaxMethods)
            return Invalid("methods", $"Give between 1 and {MaxMethods} comma-separated methods.");

        string colormap = Field(form, "colormap") ?? pictures.Colormaps[0];
        string? knownColormap = pictures.Colormaps.FirstOrDefault(c => c.Equals(colormap, StringComparison.OrdinalIgnoreCase));
        if (knownColormap is null)
            return Invalid("colormap", $"Unknown colormap '{colormap}'. Valid colormaps: {Join(pictures.Colormaps)}.");

        float alpha = 0.5f;
        if (Field(form, "alpha") is { } alphaText &&
            (!float.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out alpha) || !(alpha >= 0f && alpha <= 1f)))
            return Invalid("alpha", $"alpha must be a number between 0 and 1, got '{alphaText}'.");

        // Every map carries a full-size overlay and two .npy files: the count is bounded before anything is computed
        // (from the classes' syntax only; the engine resolves them).
        string? classes = Field(form, "classes");
        int classCount = RequestedClassCount(classes);
        if (classCount > MaxClasses)
            return Invalid("classes", $"At most {MaxClasses} classes per request (topK needs K between 1 and {MaxClasses}); '{classes}' asks for {classCount}.");
        int mapCount = methods.Count * classCount;
        int maxMaps = options.Value.MaxMapsPerResponse;
        if (mapCount > maxMaps)
            return Results.ValidationProblem(
                new Dictionary<string, string[]> { ["classes"] = [$"{methods.Count} method(s) × {classCount} class(es) = {mapCount} maps; one response carries at most {maxMaps} (CamStudio:MaxMapsPerResponse)."] },
                detail: $"The request asks for {mapCount} maps; one response carries at most {maxMaps} (CamStudio:MaxMapsPerResponse). Ask for fewer methods or classes, or use a batch job.",
                title: "Too many maps", statusCode: StatusCodes.Status422UnprocessableEntity);

        IReadOnlyDictionary<string, string> methodOptions;
        try
        {
            methodOptions = MethodOptionText.Parse(form["options"].ToArray());
        }
        catch (CamRequestException ex)
        {
            return ApiProblems.Of(ex).Result;
        }
        var request = new CamRequest
        {
            Model = Field(form, "model") ?? folder.DefaultModel,
            Methods = methods,
            Classes = classes,
            Layer = Field(form, "layer") ?? "auto",
            Options = methodOptions,
            // Scripts wait behind people: the studio's clicks run first.
            Priority = WorkPriority.Batch,
            Owner = StudioCaller.FromPrincipal(context.User)?.SessionId ?? StudioCaller.HostSessionId,
        };
        var style = new OverlayStyle(knownColormap, alpha);
        bool streamed = WantsProgress(context);
        ExplainProgressStream? progress = streamed ? await ExplainProgressStream.StartAsync(context.Response, cancellationToken) : null;
        try
        {
            ExplainResponse response = await ExplainOneAsync(image, request, style, engine, pictures, progress, cancellationToken);
            if (progress is not null)
            {
                await progress.FinishAsync(new { result = response });
                return Results.Empty;
            }
            return Results.Ok(response);
        }
        catch (Exception ex) when (ToProblem(ex, context, logger, image.FileName) is { } problem)
        {
            if (progress is null)
                return problem.Result;
            await progress.FinishAsync(new { error = problem.Details });
            return Results.Empty;
        }
    }

    private static async Task<ExplainResponse> ExplainOneAsync(IFormFile image, CamRequest request, OverlayStyle style, IStudioEngine engine,
        StudioPictures pictures, ExplainProgressStream? progress, CancellationToken cancellationToken)
    {
        StudioPhoto photo;
        await using (Stream upload = image.OpenReadStream())
            photo = await pictures.DecodePhotoAsync(image.FileName, upload, cancellationToken);
        using (photo)
        {
            EngineExplanation result = await engine.ExplainAsync(request, [photo.Pixels], progress, cancellationToken);
            PhotoMaps explained = result.Photos[0];
            var maps = new List<MapResponse>(explained.Maps.Count);
            foreach (PlacedClassMap map in explained.Maps)
            {
                byte[] overlay = await pictures.RenderOverlayPngAsync(photo, map.Map, style, fullResolution: true, cancellationToken);
                maps.Add(MapResponse.Of(map, overlay));
            }
            return new ExplainResponse(result.ModelName, result.Layer, new PhotoResponse(image.FileName, photo.Width, photo.Height),
                PlacementResponse.Of(explained.Placement),
                explained.TopPredictions.Select(p => new PredictionResponse(p.ClassIndex, p.ClassName, p.Probability)).ToList(), maps,
                new TimingsResponse(result.Timings.PlanMs, result.Timings.ForwardMs, result.Timings.MethodsMs, result.Timings.TotalMs));
        }
    }

    /// <summary><c>?progress=ndjson</c> or <c>Accept: application/x-ndjson</c>: progress lines, then the result line.</summary>
    private static bool WantsProgress(HttpContext context) =>
        string.Equals(context.Request.Query["progress"], "ndjson", StringComparison.OrdinalIgnoreCase)
        || context.Request.Headers.Accept.Any(a => a?.Contains(ExplainProgressStream.ContentType, StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>The one place an explain failure becomes a problem: refusals by kind, the rest a 500 with an error id.</summary>
    private static ApiProblem? ToProblem(Exception ex, HttpContext context, ILogger logger, string fileName)
    {
        switch (ex)
        {
            case CamRequestException refused:
                logger.LogInformation("Explain request refused ({Kind}, {Field}): {Message}", refused.Kind, refused.Field, refused.Message);
                return ApiProblems.Of(refused);
            case PhotoDecodeException bad:
                logger.LogInformation("Explain request with a bad photo ({Kind}): {Message}", bad.Kind, bad.Message);
                return ApiProblems.Of(bad);
            case StudioInputException input:
                return ApiProblems.Validation(CamRequestFields.Image, "Bad request", input.Message, StatusCodes.Status400BadRequest);
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return new ApiProblem(Results.Problem(detail: "The client cancelled the request.", statusCode: 499, title: "Cancelled"),
                    new ProblemBody(499, "Cancelled", "The client cancelled the request.", null));
            default:
                // The body names the photo and an id to find the log entry; the exception's type, text and any server
                // path stay in the log.
                string errorId = context.TraceIdentifier;
                logger.LogError(ex, "Explain request failed for {File} (error id {ErrorId})", fileName, errorId);
                string detail = $"The engine failed on {fileName}; see the server log (id {errorId}).";
                return new ApiProblem(Results.Problem(detail: detail, statusCode: 500, title: "Engine failure"), new ProblemBody(500, "Engine failure", detail, null));
        }
    }

    /// <summary>How many classes <paramref name="text"/> asks for, from its syntax alone (topK: K; else its items); 1 when absent.</summary>
    internal static int RequestedClassCount(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return 1;
        string trimmed = text.Trim();
        if (trimmed.StartsWith("top", StringComparison.OrdinalIgnoreCase) && int.TryParse(trimmed[3..], NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            return Math.Max(k, 1);
        return Math.Max(1, trimmed.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length);
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

/// <summary>A model: classes, layers, its input (size and resize rule), and every method with whether it applies at the layer asked (<c>?layer=</c>, default: the model's).</summary>
public sealed record ModelDetailsResponse(string Name, int ClassCount, string AutoLayer, string DefaultLayer, int InputWidth, int InputHeight,
    string Resize, IReadOnlyList<LayerResponse> Layers, IReadOnlyList<MethodResponse> Methods);

public sealed record LayerResponse(string Name, long[] Shape, string Kind, bool Spatial);

/// <summary>A method for a model and layer: <c>available</c>, else <c>reason</c> says why not; <c>slow</c> ones run extra forward passes.</summary>
public sealed record MethodResponse(string Id, string DisplayName, bool Available, string? Reason, bool Slow, IReadOnlyList<MethodOptionResponse> Options);

/// <summary>A number a method takes (send it as <c>options=name=value</c>), with its default and range.</summary>
public sealed record MethodOptionResponse(string Name, string Description, double Default, double Min, double Max, bool Integer);

public sealed record ExplainResponse(string Model, string Layer, PhotoResponse Image, PlacementResponse Placement,
    IReadOnlyList<PredictionResponse> Predictions, IReadOnlyList<MapResponse> Maps, TimingsResponse Timings);

public sealed record PhotoResponse(string FileName, int Width, int Height);

/// <summary>The region of the photo the model saw, as fractions of its width and height (a centre-crop model's middle).</summary>
public sealed record PlacementResponse(double Left, double Top, double Width, double Height)
{
    public static PlacementResponse Of(CamStudio.Engine.Maps.MapPlacement p) => new(p.Left, p.Top, p.Width, p.Height);
}

public sealed record PredictionResponse(int ClassIndex, string ClassName, float Probability);

public sealed record TimingsResponse(double PlanMs, double ForwardMs, double MethodsMs, double TotalMs);

/// <summary>
/// One map, base64 fields after the one .npy contract (<see cref="MapFiles"/>): <c>overlayPng</c> the overlay at the
/// photo's size (coloured only where the model looked); <c>npy</c> float32 at the model input's size
/// (<c>inputHeight</c> × <c>inputWidth</c>) normalised to [0, 1], as <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.npy</c>;
/// <c>rawNpy</c> the raw map at the layer's size (<c>height</c> × <c>width</c>, values <c>min</c>..<c>max</c>), as <c>.raw.npy</c>.
/// </summary>
public sealed record MapResponse(string Method, int ClassIndex, string ClassName, string Layer, int Width, int Height, float Min, float Max,
    int InputWidth, int InputHeight, string OverlayPng, string Npy, string RawNpy)
{
    public static MapResponse Of(PlacedClassMap map, byte[] overlayPng) => new(map.Method, map.ClassIndex, map.ClassName, map.Layer,
        map.Map.Map.Width, map.Map.Map.Height, map.Map.Map.Min, map.Map.Map.Max, map.Map.InputWidth, map.Map.InputHeight,
        Convert.ToBase64String(overlayPng), Convert.ToBase64String(MapFiles.NormalisedNpy(map.Map)), Convert.ToBase64String(MapFiles.RawNpy(map.Map)));
}
