namespace CamStudio.Web.Studio;

/// <summary>One source per view: a new choice cancels the stale work and starts a fresh token under the page's lifetime.</summary>
internal static class Cancellations
{
    public static CancellationToken Renew(ref CancellationTokenSource? source, CancellationToken lifetime)
    {
        Cancel(ref source);
        source = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        return source.Token;
    }

    public static void Cancel(ref CancellationTokenSource? source)
    {
        if (source is null)
            return;
        source.Cancel();
        source.Dispose();
        source = null;
    }
}
