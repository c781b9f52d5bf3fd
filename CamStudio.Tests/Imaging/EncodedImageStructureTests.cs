using CamStudio.Engine.Imaging;

namespace CamStudio.Tests.Imaging;

public sealed class EncodedImageStructureTests
{
    // Hand-built JPEG skeletons: only the marker structure matters to the walk (ITU-T T.81 Annex B).
    private static readonly byte[] Soi = [0xFF, 0xD8];
    private static readonly byte[] Eoi = [0xFF, 0xD9];

    /// <summary>APP1 segment holding a complete embedded JPEG thumbnail (which ends in FF D9 itself).</summary>
    private static readonly byte[] App1WithThumbnail = [0xFF, 0xE1, 0x00, 0x0A, 0xFF, 0xD8, 0x01, 0x02, 0x03, 0x04, 0xFF, 0xD9];

    /// <summary>SOS header then entropy-coded data containing a stuffed FF 00 and a restart marker FF D0.</summary>
    private static readonly byte[] ScanWithStuffingAndRestart =
        [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0x78];

    [Fact]
    public void CompleteJpegWithThumbnailStuffingAndRestartsIsComplete()
    {
        byte[] jpeg = [.. Soi, .. App1WithThumbnail, .. ScanWithStuffingAndRestart, .. Eoi];
        Assert.Equal(StructureCheck.Complete, EncodedImageStructure.CheckJpeg(jpeg));
    }

    [Fact]
    public void JpegCutInsideItsScanIsTruncatedEvenThoughItsThumbnailEndsInFfd9()
    {
        // A search for FF D9 anywhere in the file would be fooled by the thumbnail; the walk is not.
        byte[] jpeg = [.. Soi, .. App1WithThumbnail, .. ScanWithStuffingAndRestart];
        Assert.Equal(StructureCheck.Truncated, EncodedImageStructure.CheckJpeg(jpeg));
    }

    [Fact]
    public void JpegCutInsideASegmentIsTruncated()
    {
        byte[] jpeg = [.. Soi, .. App1WithThumbnail[..6]];
        Assert.Equal(StructureCheck.Truncated, EncodedImageStructure.CheckJpeg(jpeg));
    }

    [Fact]
    public void JpegWithoutStartOfImageIsCorrupt()
    {
        Assert.Equal(StructureCheck.Corrupt, EncodedImageStructure.CheckJpeg([0x00, 0x01, 0xFF, 0xD9]));
    }

    [Fact]
    public void PngChunkWalkStopsAtIend()
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        byte[] chunk = [0, 0, 0, 2, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 9, 9, 0, 0, 0, 0];
        byte[] iend = [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

        Assert.Equal(StructureCheck.Complete, EncodedImageStructure.CheckPng([.. signature, .. chunk, .. iend, 1, 2, 3]));
        Assert.Equal(StructureCheck.Truncated, EncodedImageStructure.CheckPng([.. signature, .. chunk]));
        Assert.Equal(StructureCheck.Truncated, EncodedImageStructure.CheckPng([.. signature, .. chunk[..9]]));
        Assert.Equal(StructureCheck.Corrupt, EncodedImageStructure.CheckPng([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    }

    [Fact]
    public void WebpMustHoldItsWholeRiffPayload()
    {
        byte[] header = [(byte)'R', (byte)'I', (byte)'F', (byte)'F', 8, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P'];
        Assert.Equal(StructureCheck.Complete, EncodedImageStructure.CheckWebp([.. header, 1, 2, 3, 4]));
        Assert.Equal(StructureCheck.Truncated, EncodedImageStructure.CheckWebp([.. header, 1, 2, 3]));
    }
}
