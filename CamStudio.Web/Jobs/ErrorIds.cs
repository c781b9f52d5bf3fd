namespace CamStudio.Web.Jobs;

/// <summary>
/// Short ids that tie a user-facing "see the server log (id …)" to the one log entry holding the exception: the
/// user never sees exception types or server paths, the host can still find the details.
/// </summary>
public static class ErrorIds
{
    public static string New() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
}
