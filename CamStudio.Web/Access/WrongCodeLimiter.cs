using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Access;

/// <summary>
/// Throttles guessing: each address may send <see cref="AccessOptions.WrongCodesPerMinute"/> wrong codes per
/// fixed minute (System.Threading.RateLimiting, one partition per address). Only wrong codes use up the allowance,
/// so a script that sends the right code with every request is never slowed; once it is used up, every code from
/// that address (even the right one) gets 429 until the minute ends, so guessing cannot go on.
/// </summary>
public sealed class WrongCodeLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly ILogger<WrongCodeLimiter> _logger;
    // Checking and using up happen under one lock, so parallel guesses cannot all pass the check before any counts.
    private readonly Lock _gate = new();

    public WrongCodeLimiter(IOptions<AccessOptions> options, ILogger<WrongCodeLimiter> logger)
    {
        int perMinute = Math.Max(1, options.Value.WrongCodesPerMinute);
        _logger = logger;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ =>
            new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true }));
    }

    /// <summary>
    /// Checks <paramref name="code"/> for <paramref name="address"/>: <see cref="CodeCheck.Right"/>,
    /// <see cref="CodeCheck.Wrong"/> (counted and logged) or <see cref="CodeCheck.Throttled"/> (not even compared).
    /// </summary>
    public CodeCheck Check(AccessCode accessCode, string? code, string address)
    {
        lock (_gate)
        {
            if (_limiter.GetStatistics(address)?.CurrentAvailablePermits == 0)
                return CodeCheck.Throttled;
            if (accessCode.Matches(code))
                return CodeCheck.Right;
            using RateLimitLease lease = _limiter.AttemptAcquire(address);
            long left = _limiter.GetStatistics(address)?.CurrentAvailablePermits ?? 0;
            // One line, no stack: enough to see a guesser in the log without the log becoming the attack.
            if (left == 0)
                _logger.LogWarning("Wrong access code from {Address}; the allowance for this minute is used up, further codes get 429", address);
            else
                _logger.LogWarning("Wrong access code from {Address} ({Left} more allowed this minute)", address, left);
            return CodeCheck.Wrong;
        }
    }

    public void Dispose() => _limiter.Dispose();
}

public enum CodeCheck
{
    Right,
    Wrong,
    Throttled,
}
