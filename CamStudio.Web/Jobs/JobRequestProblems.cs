using CamStudio.Engine;

namespace CamStudio.Web.Jobs;

/// <summary>
/// The one place a refused job request (<see cref="CamRequestException"/>) becomes HTTP: 404 for a model that is
/// not there, 422 for a request the model cannot serve (a method not applicable, a layer without a map, a broken
/// model), 400 for anything else wrong in the form; the problem names the field.
/// </summary>
public static class JobRequestProblems
{
    public const string Title = "The job was not accepted";

    public static int StatusOf(CamRequestErrorKind kind) => kind switch
    {
        CamRequestErrorKind.UnknownModel => StatusCodes.Status404NotFound,
        CamRequestErrorKind.MethodNotApplicable or CamRequestErrorKind.UnsupportedLayer or CamRequestErrorKind.BrokenModel
            or CamRequestErrorKind.ModelLoadFailed => StatusCodes.Status422UnprocessableEntity,
        CamRequestErrorKind.UnknownMethod or CamRequestErrorKind.UnknownLayer or CamRequestErrorKind.UnknownClass or CamRequestErrorKind.InvalidValue
            or CamRequestErrorKind.BadPhoto or CamRequestErrorKind.PhotoTooLarge or CamRequestErrorKind.TooMuchWork => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status400BadRequest,
    };

    public static IResult Of(CamRequestException refused) => Results.Problem(title: Title, detail: refused.Message, statusCode: StatusOf(refused.Kind),
        extensions: new Dictionary<string, object?> { ["field"] = refused.Field, ["kind"] = refused.Kind.ToString() });
}
