using CamStudio.Engine;
using CamStudio.Engine.Imaging;

namespace CamStudio.Web.Studio;

/// <summary>A problem as an HTTP result and as the body a streamed response's last line carries.</summary>
public sealed record ApiProblem(IResult Result, ProblemBody Details);

/// <summary>An RFC 7807 body: status, title, detail, and the field it is about (as validation problems' <c>errors</c>).</summary>
public sealed record ProblemBody(int Status, string Title, string Detail, IDictionary<string, string[]>? Errors);

/// <summary>The API's one mapping from the engine's refusals to HTTP problems.</summary>
public static class ApiProblems
{
    /// <summary>
    /// <paramref name="refused"/> as a validation problem keyed by its field, with the field and the refusal's kind
    /// also at the top level (<c>field</c>, <c>kind</c>) for clients that branch on them. <paramref name="routeField"/>:
    /// the field that names the route's resource (<c>/api/models/{name}</c>), whose absence is a 404 rather than a bad value.
    /// </summary>
    public static ApiProblem Of(CamRequestException refused, string? routeField = null) =>
        Validation(refused.Field, TitleOf(refused.Kind, refused.Field), refused.Message, StatusOf(refused.Kind, refused.Field == routeField),
            new Dictionary<string, object?> { ["field"] = refused.Field, ["kind"] = refused.Kind.ToString() });

    /// <summary>
    /// The status of a refusal, the same for every endpoint (explain, jobs, evaluate): 404 only for the route's own
    /// resource; 413 for a photo over the limit; 422 for a well-formed request the model cannot serve (a method that
    /// does not apply, a layer without a map, a model that will not load, a photo that will not decode, too much
    /// work); 400 for anything else wrong in the request.
    /// </summary>
    public static int StatusOf(CamRequestErrorKind kind, bool isRouteResource = false) => kind switch
    {
        CamRequestErrorKind.UnknownModel when isRouteResource => StatusCodes.Status404NotFound,
        CamRequestErrorKind.PhotoTooLarge => StatusCodes.Status413PayloadTooLarge,
        CamRequestErrorKind.MethodNotApplicable or CamRequestErrorKind.UnsupportedLayer or CamRequestErrorKind.BrokenModel
            or CamRequestErrorKind.ModelLoadFailed or CamRequestErrorKind.BadPhoto or CamRequestErrorKind.TooMuchWork => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string TitleOf(CamRequestErrorKind kind, string field) => kind switch
    {
        CamRequestErrorKind.UnknownModel => "Unknown model",
        CamRequestErrorKind.BrokenModel => "Broken model",
        CamRequestErrorKind.ModelLoadFailed => "Model not loadable",
        CamRequestErrorKind.UnknownMethod => "Unknown method",
        CamRequestErrorKind.MethodNotApplicable => "Method not applicable",
        CamRequestErrorKind.UnknownLayer => "Unknown layer",
        CamRequestErrorKind.UnsupportedLayer => "Unsupported layer",
        CamRequestErrorKind.UnknownClass => "Unknown class",
        CamRequestErrorKind.InvalidValue => $"Invalid '{field}'",
        CamRequestErrorKind.BadPhoto => "Unreadable photo",
        CamRequestErrorKind.PhotoTooLarge => "Photo too large",
        CamRequestErrorKind.TooMuchWork => "Too much work",
        _ => "Bad request",
    };

    /// <summary>A photo the decoder refused, as a problem on the <c>image</c> field.</summary>
    public static ApiProblem Of(PhotoDecodeException bad) => bad.Kind switch
    {
        PhotoDecodeErrorKind.TooLarge => Validation(CamRequestFields.Image, "Photo too large", bad.Message, StatusCodes.Status413PayloadTooLarge),
        _ => Validation(CamRequestFields.Image, "Unreadable photo", bad.Message, StatusCodes.Status422UnprocessableEntity),
    };

    public static ApiProblem Validation(string field, string title, string detail, int status, IDictionary<string, object?>? extensions = null)
    {
        var errors = new Dictionary<string, string[]> { [field] = [detail] };
        return new ApiProblem(Results.ValidationProblem(errors, detail: detail, title: title, statusCode: status, extensions: extensions),
            new ProblemBody(status, title, detail, errors));
    }
}
