using System.Globalization;

namespace CamStudio.Web.Jobs;

/// <summary>Times in the queue: how long ago for recent ones, the UTC date and time for older ones (the server does not know the browser's zone).</summary>
internal static class JobTimes
{
    public static string Describe(DateTimeOffset time, DateTimeOffset now)
    {
        TimeSpan ago = now - time;
        return ago switch
        {
            { TotalSeconds: < 60 } => "just now",
            { TotalMinutes: < 60 } => $"{(int)ago.TotalMinutes} min ago",
            { TotalHours: < 24 } => $"{(int)ago.TotalHours} h ago",
            _ => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        };
    }
}
