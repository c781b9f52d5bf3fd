using CamStudio.Engine;
using CamStudio.Web.Studio;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A refused job request (<see cref="CamRequestException"/>) as HTTP, with the status every endpoint gives that
/// refusal (<see cref="ApiProblems.StatusOf"/>); the body names the field and kind, and carries the message under
/// <c>errors[field]</c> as the explain API's validation problems do.
/// </summary>
public static class JobRequestProblems
{
    public const string Title = "The job was not accepted";

    public static IResult Of(CamRequestException refused) => Results.Problem(title: Title, detail: refused.Message,
        statusCode: ApiProblems.StatusOf(refused.Kind),
        extensions: new Dictionary<string, object?>
        {
            ["field"] = refused.Field,
            ["kind"] = refused.Kind.ToString(),
            ["errors"] = new Dictionary<string, string[]> { [refused.Field] = [refused.Message] },
        });
}
