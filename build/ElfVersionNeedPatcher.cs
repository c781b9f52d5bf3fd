// Marks one GNU symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK),
// so the dynamic loader only warns instead of failing when the host library lacks that version.
// Format: System V gABI "Symbol Versioning" (.gnu.version_r / SHT_GNU_verneed).
//
// This file serves two callers: the MSBuild inline task below (Build/CamStudio.NativePatch.targets)
// and the tests, which compile it with CAMSTUDIO_ELF_PATCHER_NO_TASK defined.
#nullable enable
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace CamStudio.Build
{
    public enum ElfPatchOutcome
    {
        Patched,
        AlreadyWeak,
        VersionNotRequired,
    }

    public static class ElfVersionNeedPatcher
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlagWeak = 0x2;

        /// <summary>Finds the file offset of the vna_flags field for <paramref name="versionName"/>, or -1.</summary>
        public static long FindVersionNeedFlagsOffset(byte[] elf, string versionName)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only little-endian ELF64 is supported");

            long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > elf.Length)
                throw new InvalidDataException("ELF section header table is missing or truncated");

            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed)
                    continue;

                long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 24);
                long size = (long)BitConverter.ToUInt64(elf, (int)sh + 32);
                int link = (int)BitConverter.ToUInt32(elf, (int)sh + 40);
                int count = (int)BitConverter.ToUInt32(elf, (int)sh + 44);
                long strtab = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 24);

                long vn = offset;
                for (int n = 0; n < count; n++)
                {
                    if (vn < offset || vn + 16 > offset + size)
                        throw new InvalidDataException(".gnu.version_r entry lies outside its section");
                    int auxCount = BitConverter.ToUInt16(elf, (int)vn + 2);
                    long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        if (aux + 16 > offset + size)
                            throw new InvalidDataException(".gnu.version_r auxiliary entry lies outside its section");
                        long name = strtab + BitConverter.ToUInt32(elf, (int)aux + 8);
                        if (ReadCString(elf, name) == versionName)
                            return aux + 4;
                        aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                    }
                    vn += BitConverter.ToUInt32(elf, (int)vn + 12);
                }
            }
            return -1;
        }

        /// <summary>Sets VER_FLG_WEAK on the requirement of <paramref name="versionName"/>; idempotent.</summary>
        public static ElfPatchOutcome MakeVersionNeedWeak(byte[] elf, string versionName)
        {
            long flagsOffset = FindVersionNeedFlagsOffset(elf, versionName);
            if (flagsOffset < 0)
                return ElfPatchOutcome.VersionNotRequired;
            ushort flags = BitConverter.ToUInt16(elf, (int)flagsOffset);
            if ((flags & VerFlagWeak) != 0)
                return ElfPatchOutcome.AlreadyWeak;
            flags |= VerFlagWeak;
            elf[flagsOffset] = (byte)(flags & 0xff);
            elf[flagsOffset + 1] = (byte)(flags >> 8);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>Patches a file in place through a temporary copy, so hard links to the original are never written.</summary>
        public static ElfPatchOutcome PatchFile(string path, string versionName)
        {
            byte[] elf = File.ReadAllBytes(path);
            ElfPatchOutcome outcome = MakeVersionNeedWeak(elf, versionName);
            if (outcome != ElfPatchOutcome.Patched)
                return outcome;
            // Copy first so the new file keeps the original's mode, then write the patched bytes and swap.
            // (MSBuild compiles this file against netstandard2.0: no File.Move overwrite, no UnixFileMode.)
            string temp = path + ".camstudio-patch.tmp";
            File.Copy(path, temp, overwrite: true);
            using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write))
                stream.Write(elf, 0, elf.Length);
            File.Delete(path);
            File.Move(temp, path);
            return outcome;
        }

        /// <summary>True when a libstdc++ on this host defines <paramref name="versionName"/>.</summary>
        public static bool HostLibStdCxxDefines(string versionName, out string? libraryPath)
        {
            libraryPath = null;
            string[] candidates =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6",
                "/usr/lib/libstdc++.so.6",
                "/lib/x86_64-linux-gnu/libstdc++.so.6",
            };
            byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
            foreach (string candidate in candidates)
            {
                if (!File.Exists(candidate))
                    continue;
                libraryPath = candidate;
                return IndexOf(File.ReadAllBytes(candidate), needle) >= 0;
            }
            return false;
        }

        private static string ReadCString(byte[] data, long start)
        {
            long end = start;
            while (end < data.Length && data[end] != 0)
                end++;
            return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j])
                    j++;
                if (j == needle.Length)
                    return i;
            }
            return -1;
        }
    }

#if !CAMSTUDIO_ELF_PATCHER_NO_TASK
    /// <summary>MSBuild task: weakens GLIBCXX_3.4.32 in every given libLibTorchSharp.so when the host lacks it.</summary>
    public sealed class WeakenGlibcxxVersionNeed : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || Files.Length == 0)
                return true;
            if (ElfVersionNeedPatcher.HostLibStdCxxDefines(VersionName, out string? host))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    "CamStudio: {0} defines {1}; native TorchSharp libraries left untouched.", host, VersionName);
                return true;
            }
            foreach (var item in Files)
            {
                string path = item.ItemSpec;
                if (!File.Exists(path))
                    continue;
                ElfPatchOutcome outcome = ElfVersionNeedPatcher.PatchFile(path, VersionName);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                    "CamStudio: {0}: {1} ({2} missing from {3}).", path, outcome, VersionName, host ?? "host libstdc++");
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
