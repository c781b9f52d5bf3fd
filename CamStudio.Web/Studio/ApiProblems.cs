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
    /// <paramref name="refused"/> as a validation problem keyed by its field. <paramref name="routeField"/>: the field
    /// that names the route's resource (<c>/api/models/{name}</c>), whose absence is a 404 rather than a bad value.
    /// </summary>
    public static ApiProblem Of(CamRequestException refused, string? routeField = null)
    {
        (int status, string title) = refused.Kind switch
        {
            CamRequestErrorKind.UnknownModel when refused.Field == routeField => (StatusCodes.Status404NotFound, "Unknown model"),
            CamRequestErrorKind.UnknownModel => (StatusCodes.Status400BadRequest, "Unknown model"),
            CamRequestErrorKind.BrokenModel => (StatusCodes.Status422UnprocessableEntity, "Broken model"),
            CamRequestErrorKind.ModelLoadFailed => (StatusCodes.Status422UnprocessableEntity, "Model not loadable"),
            CamRequestErrorKind.UnknownMethod => (StatusCodes.Status400BadRequest, "Unknown method"),
            CamRequestErrorKind.MethodNotApplicable => (StatusCodes.Status400BadRequest, "Method not applicable"),
            CamRequestErrorKind.UnknownLayer => (StatusCodes.Status400BadRequest, "Unknown layer"),
            CamRequestErrorKind.UnsupportedLayer => (StatusCodes.Status400BadRequest, "Unsupported layer"),
            CamRequestErrorKind.UnknownClass => (StatusCodes.Status400BadRequest, "Unknown class"),
            CamRequestErrorKind.InvalidValue => (StatusCodes.Status400BadRequest, $"Invalid '{refused.Field}'"),
            CamRequestErrorKind.BadPhoto => (StatusCodes.Status422UnprocessableEntity, "Unreadable photo"),
            CamRequestErrorKind.PhotoTooLarge => (StatusCodes.Status413PayloadTooLarge, "Photo too large"),
            CamRequestErrorKind.TooMuchWork => (StatusCodes.Status422UnprocessableEntity, "Too much work"),
            _ => (StatusCodes.Status400BadRequest, "Bad request"),
        };
        return Validation(refused.Field, title, refused.Message, status);
    }

    /// <summary>A photo the decoder refused, as a problem on the <c>image</c> field.</summary>
    public static ApiProblem Of(PhotoDecodeException bad) => bad.Kind switch
    {
        PhotoDecodeErrorKind.TooLarge => Validation(CamRequestFields.Image, "Photo too large", bad.Message, StatusCodes.Status413PayloadTooLarge),
        _ => Validation(CamRequestFields.Image, "Unreadable photo", bad.Message, StatusCodes.Status422UnprocessableEntity),
    };

    public static ApiProblem Validation(string field, string title, string detail, int status)
    {
        var errors = new Dictionary<string, string[]> { [field] = [detail] };
        return new ApiProblem(Results.ValidationProblem(errors, detail: detail, title: title, statusCode: status),
            new ProblemBody(status, title, detail, errors));
    }
}
