using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Web.Access;
using Microsoft.AspNetCore.Http.Features;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Studio;

/// <summary>
/// <c>POST /api/concepts</c> (multipart: <c>image</c>, optional <c>model</c>, <c>layer</c>, <c>k</c> 1–16, <c>classes</c> 0–5):
/// Deep Feature Factorization of the photo by the engine, as the picture (coloured regions and legend, base64 PNG) and
/// each concept's classes. Errors are problem details naming the field.
/// </summary>
public static class ConceptsApi
{
    public static IEndpointRouteBuilder MapConceptsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/concepts", ConceptsAsync).DisableAntiforgery();
        return routes;
    }

    private static async Task<IResult> ConceptsAsync(HttpContext context, CamEngine engine, StudioPictures pictures, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
            return Invalid("image", "Send a multipart/form-data form with the photo in a file field named 'image'.");
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = 64L * 1024 * 1024 }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException or BadHttpRequestException or FormatException)
        {
            return Invalid("image", "The request body is not a readable multipart/form-data form.");
        }
        if (form.Files.GetFile("image") is not { } image)
            return Invalid("image", "The photo must be sent in a file field named 'image'.");
        if (!Number(form, "k", 5, out int k))
            return Invalid("k", "k must be a whole number (the number of concepts, 1 to 16).");
        if (!Number(form, "classes", 2, out int classes))
            return Invalid("classes", "classes must be a whole number (classes named per concept, 0 to 5).");
        var request = new ConceptRequest
        {
            Model = Text(form, "model"),
            Layer = Text(form, "layer"),
            Concepts = k,
            ClassesPerConcept = classes,
            Priority = Engine.Runtime.WorkPriority.Batch,
            Owner = StudioCaller.FromPrincipal(context.User)?.SessionId ?? StudioCaller.HostSessionId,
        };
        try
        {
            StudioPhoto photo;
            await using (Stream upload = image.OpenReadStream())
                photo = await pictures.DecodePhotoAsync(image.FileName, upload, cancellationToken);
            using (photo)
            {
                ConceptExplanation concepts = await engine.ConceptsAsync(request, photo.Pixels, cancellationToken);
                string png;
                using (Image<Rgb24> picture = concepts.Render(photo.Pixels))
                    png = Convert.ToBase64String(HeatmapRenderer.EncodePng(picture));
                return Results.Ok(new ConceptsResponse(concepts.ModelName, concepts.Layer, concepts.Legend,
                    concepts.Concepts.Select(c => new ConceptResponse(c.Index, c.TopClasses.Select(p => new PredictionResponse(p.ClassIndex, p.ClassName, p.Probability)).ToList())).ToList(),
                    png));
            }
        }
        catch (CamRequestException refused)
        {
            return ApiProblems.Of(refused).Result;
        }
        catch (PhotoDecodeException bad)
        {
            return ApiProblems.Of(bad).Result;
        }
        catch (StudioInputException input)
        {
            return Invalid("image", input.Message);
        }
    }

    private static string? Text(IFormCollection form, string name) =>
        form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

    private static bool Number(IFormCollection form, string name, int fallback, out int value)
    {
        value = fallback;
        return Text(form, name) is not { } text || int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static IResult Invalid(string field, string detail) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [detail] }, detail: detail, title: $"Invalid '{field}'");
}

/// <summary>A photo's concepts: the picture (base64 PNG), one legend line per concept, and each concept's classes.</summary>
public sealed record ConceptsResponse(string Model, string Layer, IReadOnlyList<string> Legend, IReadOnlyList<ConceptResponse> Concepts, string PicturePng);

/// <summary>One concept: its number (0-based, as in the legend less one) and the classes it scores highest.</summary>
public sealed record ConceptResponse(int Index, IReadOnlyList<PredictionResponse> Classes);
