using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace CamStudio.Web.Cluster;

/// <summary>
/// Connection middleware for every Orleans connection (silo to silo, studio to gateway): before any Orleans byte,
/// both ends send a random nonce and then HMAC-SHA256(secret, their nonce, the peer's nonce); a peer that does not
/// know <c>CamStudio:Cluster:Secret</c> is cut off. It authenticates, it does not encrypt: run the cluster on a
/// private network (or a VPN) — the README says so.
/// </summary>
public sealed class SharedSecretHandshake(string secret, ILogger logger)
{
    private static readonly byte[] Magic = "CAMSTUDIO-CLUSTER-1"u8.ToArray();
    private const int NonceLength = 32;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly byte[] _key = SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        using var timeout = new CancellationTokenSource(Timeout);
        bool ok;
        try
        {
            ok = await ProveAsync(connection.Transport, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidDataException or ConnectionResetException)
        {
            logger.LogWarning("Cluster connection from {Remote} closed before the shared-secret handshake finished ({Message})", connection.RemoteEndPoint, ex.Message);
            ok = false;
        }
        if (!ok)
        {
            logger.LogWarning("Refused a cluster connection with {Remote}: it does not know CamStudio:Cluster:Secret", connection.RemoteEndPoint);
            connection.Abort(new ConnectionAbortedException("The peer does not know the cluster's shared secret."));
            return;
        }
        await next(connection);
    };

    private async Task<bool> ProveAsync(IDuplexPipe pipe, CancellationToken cancellationToken)
    {
        byte[] mine = RandomNumberGenerator.GetBytes(NonceLength);
        await pipe.Output.WriteAsync((byte[])[.. Magic, .. mine], cancellationToken);
        byte[] hello = await ReadExactlyAsync(pipe.Input, Magic.Length + NonceLength, cancellationToken);
        if (!hello.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            return false;
        byte[] theirs = hello[Magic.Length..];
        await pipe.Output.WriteAsync(Proof(mine, theirs), cancellationToken);
        byte[] proof = await ReadExactlyAsync(pipe.Input, 32, cancellationToken);
        return CryptographicOperations.FixedTimeEquals(proof, Proof(theirs, mine));
    }

    private byte[] Proof(byte[] senderNonce, byte[] receiverNonce) => HMACSHA256.HashData(_key, (byte[])[.. senderNonce, .. receiverNonce]);

    private static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= count)
            {
                byte[] bytes = buffer.Slice(0, count).ToArray();
                reader.AdvanceTo(buffer.GetPosition(count));
                return bytes;
            }
            if (result.IsCompleted)
                throw new InvalidDataException("The connection ended during the handshake.");
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
