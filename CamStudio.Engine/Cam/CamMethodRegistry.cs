namespace CamStudio.Engine.Cam;

/// <summary>
/// The CAM methods one engine knows, by id: seeded with <see cref="CamMethods.All"/>, open to user-written
/// <see cref="ICamMethod"/>s. Thread-safe; ids are compared case-insensitively.
/// </summary>
public sealed class CamMethodRegistry
{
    private readonly object _gate = new();
    private readonly List<ICamMethod> _methods;

    /// <summary>A registry holding <paramref name="methods"/> (default: the built-in <see cref="CamMethods.All"/>).</summary>
    public CamMethodRegistry(IEnumerable<ICamMethod>? methods = null)
    {
        _methods = [];
        foreach (ICamMethod method in methods ?? CamMethods.All)
            Register(method);
    }

    /// <summary>The methods in registration order (a snapshot).</summary>
    public IReadOnlyList<ICamMethod> All
    {
        get
        {
            lock (_gate)
                return [.. _methods];
        }
    }

    /// <summary>Adds <paramref name="method"/>; an id already taken (or blank) is an <see cref="ArgumentException"/>.</summary>
    public void Register(ICamMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (string.IsNullOrWhiteSpace(method.Id) || method.Id.Trim() != method.Id)
            throw new ArgumentException($"A CAM method needs an id without surrounding spaces, got '{method.Id}'.", nameof(method));
        lock (_gate)
        {
            if (_methods.Any(m => string.Equals(m.Id, method.Id, StringComparison.OrdinalIgnoreCase)))
                throw new ArgumentException($"A CAM method with id '{method.Id}' is already registered.", nameof(method));
            _methods.Add(method);
        }
    }

    /// <summary>The method with id <paramref name="id"/> (case-insensitive, trimmed), or null.</summary>
    public ICamMethod? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
            return _methods.FirstOrDefault(m => string.Equals(m.Id, id.Trim(), StringComparison.OrdinalIgnoreCase));
    }
}
