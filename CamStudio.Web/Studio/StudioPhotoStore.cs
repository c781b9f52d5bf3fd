using System.Collections.Concurrent;

namespace CamStudio.Web.Studio;

/// <summary>
/// The photos of each browser session, as uploaded (file name and bytes), kept beyond one Blazor circuit: a reload,
/// a new tab or a link opened later in the same session finds its photos again under the same ids (the explorer's
/// URL names a photo by id). Bounded: at most the photo limit per session, and a total size beyond which the
/// oldest photos are forgotten. A session sees only its own photos.
/// </summary>
public sealed class StudioPhotoStore
{
    /// <summary>All sessions' kept photos together; beyond this the oldest are forgotten.</summary>
    public const long MaxTotalBytes = 512L << 20;

    private readonly ConcurrentDictionary<string, List<KeptPhoto>> _bySession = new();
    private readonly Lock _gate = new();
    private long _totalBytes;
    private long _clock;

    public void Keep(string session, Guid id, string fileName, byte[] bytes, int maxPerSession)
    {
        lock (_gate)
        {
            List<KeptPhoto> photos = _bySession.GetOrAdd(session, _ => []);
            if (photos.Any(p => p.Id == id))
                return;
            photos.Add(new KeptPhoto(id, fileName, bytes, ++_clock));
            _totalBytes += bytes.Length;
            while (photos.Count > maxPerSession)
                RemoveLocked(session, photos[0].Id);
            while (_totalBytes > MaxTotalBytes && Oldest() is { } oldest)
                RemoveLocked(oldest.Session, oldest.Photo.Id);
        }
    }

    public void Forget(string session, Guid id)
    {
        lock (_gate)
            RemoveLocked(session, id);
    }

    /// <summary>The session's photos, oldest first.</summary>
    public IReadOnlyList<KeptPhoto> Of(string session)
    {
        lock (_gate)
            return _bySession.TryGetValue(session, out List<KeptPhoto>? photos) ? [.. photos] : [];
    }

    private void RemoveLocked(string session, Guid id)
    {
        if (!_bySession.TryGetValue(session, out List<KeptPhoto>? photos))
            return;
        int index = photos.FindIndex(p => p.Id == id);
        if (index < 0)
            return;
        _totalBytes -= photos[index].Bytes.Length;
        photos.RemoveAt(index);
        if (photos.Count == 0)
            _bySession.TryRemove(session, out _);
    }

    private (string Session, KeptPhoto Photo)? Oldest() =>
        _bySession.SelectMany(s => s.Value.Select(p => (s.Key, p))).OrderBy(x => x.p.Stamp).Select(x => ((string, KeptPhoto)?)x).FirstOrDefault();
}

/// <summary>One kept upload.</summary>
public sealed record KeptPhoto(Guid Id, string FileName, byte[] Bytes, long Stamp);
