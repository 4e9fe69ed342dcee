#include "savedmodel/core/npz.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "savedmodel/base/coding.h"
#include "savedmodel/core/npy.h"

namespace savedmodel {

// ---- .npz (zip) -------------------------------------------------------------------
//
// Zip layout (PKWARE APPNOTE 6.3), all integers little-endian:
//   per member: local header  "PK\3\4" ver flags method time date crc csize usize
//                             name_len extra_len (30 bytes) name extra, then data
//   central directory: per member "PK\1\2" (46 bytes) name extra comment, holding
//                      the authoritative sizes and the local header's offset
//   end of central directory "PK\5\6" (22 bytes + comment): entry count, size and
//                      offset of the central directory
// Zip64 (numpy.savez forces it for its members) moves sizes and offsets that do
// not fit 32 bits into an extra field with id 1, and the directory's position
// into a zip64 end record found through a locator just before "PK\5\6".

namespace {

uint16_t Load16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8);
}
uint32_t Load32(const char* p) { return DecodeFixed32(p); }
uint64_t Load64(const char* p) { return DecodeFixed64(p); }
void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
void Put32(std::string* out, uint32_t v) { PutFixed32(out, v); }

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
// Deflate cannot expand data by more than about 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct ZipMember {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0;
  uint64_t usize = 0;
  uint64_t offset = 0;
};

Status ReadZip64Extra(std::string_view extra, ZipMember* m, bool need_u, bool need_c,
                      bool need_off) {
  while (extra.size() >= 4) {
    uint16_t id = Load16(extra.data());
    uint16_t len = Load16(extra.data() + 2);
    if (len > extra.size() - 4) return DataLoss("zip extra field runs past its entry");
    std::string_view body = extra.substr(4, len);
    if (id == 1) {
      size_t pos = 0;
      auto next = [&](uint64_t* v) -> Status {
        if (pos + 8 > body.size()) return DataLoss("zip64 extra field too short");
        *v = Load64(body.data() + pos);
        pos += 8;
        return Status::OK();
      };
      if (need_u) RETURN_IF_ERROR(next(&m->usize));
      if (need_c) RETURN_IF_ERROR(next(&m->csize));
      if (need_off) RETURN_IF_ERROR(next(&m->offset));
      return Status::OK();
    }
    extra.remove_prefix(4 + len);
  }
  if (need_u || need_c || need_off) return DataLoss("zip64 sizes missing their extra field");
  return Status::OK();
}

StatusOr<std::vector<ZipMember>> ReadCentralDirectory(std::string_view zip) {
  if (zip.size() < 22) return DataLoss("too short to be a zip archive");
  size_t end = std::string_view::npos;
  size_t lowest = zip.size() >= 22 + 0xffff ? zip.size() - 22 - 0xffff : 0;
  for (size_t p = zip.size() - 22 + 1; p-- > lowest;) {
    if (Load32(zip.data() + p) == kEndSig) {
      end = p;
      break;
    }
  }
  if (end == std::string_view::npos) return DataLoss("no zip end-of-central-directory record");
  uint64_t entries = Load16(zip.data() + end + 10);
  uint64_t cd_size = Load32(zip.data() + end + 12);
  uint64_t cd_offset = Load32(zip.data() + end + 16);
  if (entries == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (end < 20 || Load32(zip.data() + end - 20) != kZip64LocatorSig) {
      return DataLoss("zip64 end record locator missing");
    }
    uint64_t z64 = Load64(zip.data() + end - 20 + 8);
    if (z64 > zip.size() || zip.size() - z64 < 56 || Load32(zip.data() + z64) != kZip64EndSig) {
      return DataLoss("bad zip64 end record offset " + std::to_string(z64));
    }
    entries = Load64(zip.data() + z64 + 32);
    cd_size = Load64(zip.data() + z64 + 40);
    cd_offset = Load64(zip.data() + z64 + 48);
  }
  if (cd_offset > zip.size() || cd_size > zip.size() - cd_offset) {
    return DataLoss("zip central directory (offset " + std::to_string(cd_offset) + ", " +
                    std::to_string(cd_size) + " bytes) lies outside the " +
                    std::to_string(zip.size()) + "-byte archive");
  }
  std::string_view cd = zip.substr(cd_offset, cd_size);
  std::vector<ZipMember> members;
  size_t pos = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (cd.size() - pos < 46 || Load32(cd.data() + pos) != kCentralSig) {
      return DataLoss("zip central directory entry " + std::to_string(i) + " is truncated or corrupt");
    }
    const char* e = cd.data() + pos;
    ZipMember m;
    m.flags = Load16(e + 8);
    m.method = Load16(e + 10);
    m.crc = Load32(e + 16);
    m.csize = Load32(e + 20);
    m.usize = Load32(e + 24);
    size_t name_len = Load16(e + 28), extra_len = Load16(e + 30), comment_len = Load16(e + 32);
    m.offset = Load32(e + 42);
    if (cd.size() - pos - 46 < name_len + extra_len + comment_len) {
      return DataLoss("zip central directory entry " + std::to_string(i) + " is truncated");
    }
    m.name = std::string(cd.substr(pos + 46, name_len));
    RETURN_IF_ERROR(ReadZip64Extra(cd.substr(pos + 46 + name_len, extra_len), &m,
                                   m.usize == 0xffffffff, m.csize == 0xffffffff,
                                   m.offset == 0xffffffff));
    pos += 46 + name_len + extra_len + comment_len;
    members.push_back(std::move(m));
  }
  return members;
}

StatusOr<std::string> ExtractMember(std::string_view zip, const ZipMember& m) {
  if (m.flags & 1) return Unimplemented("member '" + m.name + "' is encrypted");
  if (m.offset > zip.size() || zip.size() - m.offset < 30 ||
      Load32(zip.data() + m.offset) != kLocalSig) {
    return DataLoss("member '" + m.name + "' has a bad local header offset " +
                    std::to_string(m.offset));
  }
  uint64_t data_start = m.offset + 30 + Load16(zip.data() + m.offset + 26) +
                        Load16(zip.data() + m.offset + 28);
  if (data_start > zip.size() || m.csize > zip.size() - data_start) {
    return DataLoss("member '" + m.name + "' (" + std::to_string(m.csize) +
                    " bytes) runs past the end of the archive");
  }
  if (m.usize > 0xffffffffu || m.csize > 0xffffffffu) {
    return Unimplemented("member '" + m.name + "' is 4 GiB or larger");
  }
  std::string_view packed = zip.substr(data_start, m.csize);
  std::string out;
  if (m.method == 0) {
    if (m.csize != m.usize) return DataLoss("stored member '" + m.name + "' has mismatched sizes");
    out = std::string(packed);
  } else if (m.method == 8) {
    if (m.usize > m.csize * kMaxDeflateRatio + 1024) {
      return DataLoss("member '" + m.name + "' claims " + std::to_string(m.usize) +
                      " bytes, more than " + std::to_string(m.csize) +
                      " deflated bytes can hold");
    }
    // Up to 4 GiB, bounded by the deflated bytes above; still a status, not
    // an exception, when the machine cannot spare it.
    try {
      out.resize(m.usize);
    } catch (const std::bad_alloc&) {
      return ResourceExhausted("member '" + m.name + "': OOM when allocating " +
                               std::to_string(m.usize) + " bytes to inflate it");
    }
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Internal("inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    zs.avail_in = static_cast<uInt>(packed.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_FINISH);
    uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != m.usize) {
      return DataLoss("member '" + m.name + "' does not inflate to its " +
                      std::to_string(m.usize) + " bytes (zlib code " + std::to_string(rc) + ")");
    }
  } else {
    return Unimplemented("member '" + m.name + "' uses zip compression method " +
                         std::to_string(m.method) + "; only stored and deflated are supported");
  }
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
  if (crc != m.crc) return DataLoss("member '" + m.name + "' fails its CRC-32 check");
  return out;
}

StatusOr<std::map<std::string, Tensor>> ReadNpzImpl(std::string_view bytes) {
  ASSIGN_OR_RETURN(std::vector<ZipMember> members, ReadCentralDirectory(bytes));
  std::map<std::string, Tensor> out;
  for (const ZipMember& m : members) {
    if (!m.name.ends_with(".npy")) continue;
    std::string key = m.name.substr(0, m.name.size() - 4);
    ASSIGN_OR_RETURN(std::string npy, ExtractMember(bytes, m));
    StatusOr<Tensor> t = ReadNpy(npy, "member '" + m.name + "'");
    if (!t.ok()) return t.status();
    if (!out.emplace(key, std::move(t).value()).second) {
      return InvalidArgument("member '" + m.name + "' appears twice");
    }
  }
  return out;
}

}  // namespace

StatusOr<std::map<std::string, Tensor>> ReadNpz(std::string_view bytes,
                                                std::string_view name_for_errors) {
  auto r = ReadNpzImpl(bytes);
  if (!r.ok()) return r.status().WithContext(name_for_errors);
  return r;
}

StatusOr<std::string> WriteNpz(const std::map<std::string, Tensor>& tensors) {
  std::string zip, central;
  uint16_t count = 0;
  for (const auto& [key, tensor] : tensors) {
    if (count == 0xffff) return Unimplemented("more than 65534 members needs zip64");
    std::string name = key + ".npy";
    if (name.size() > 0xffff) return InvalidArgument("key too long for a zip name");
    StatusOr<std::string> npy = WriteNpy(tensor);
    if (!npy.ok()) return npy.status().WithContext("key '" + key + "'");
    if (npy->size() >= 0xffffffffu || zip.size() >= 0xffffffffu - npy->size()) {
      return Unimplemented(".npz archives of 4 GiB or more need zip64");
    }
    uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(npy->data()), static_cast<uInt>(npy->size())));
    uint32_t offset = static_cast<uint32_t>(zip.size());
    auto common = [&](std::string* out) {
      Put16(out, 20);      // version needed: 2.0
      Put16(out, 0);       // flags
      Put16(out, 0);       // stored
      Put16(out, 0);       // time 00:00:00
      Put16(out, 0x21);    // date 1980-01-01: fixed, so output is reproducible
      Put32(out, crc);
      Put32(out, static_cast<uint32_t>(npy->size()));
      Put32(out, static_cast<uint32_t>(npy->size()));
      Put16(out, static_cast<uint16_t>(name.size()));
      Put16(out, 0);       // extra length
    };
    Put32(&zip, kLocalSig);
    common(&zip);
    zip += name;
    zip += *npy;
    Put32(&central, kCentralSig);
    Put16(&central, 20);  // version made by
    common(&central);
    Put16(&central, 0);   // comment length
    Put16(&central, 0);   // disk
    Put16(&central, 0);   // internal attributes
    Put32(&central, 0);   // external attributes
    Put32(&central, offset);
    central += name;
    ++count;
  }
  if (zip.size() + central.size() >= 0xffffffffu) {
    return Unimplemented(".npz archives of 4 GiB or more need zip64");
  }
  uint32_t cd_offset = static_cast<uint32_t>(zip.size());
  zip += central;
  Put32(&zip, kEndSig);
  Put16(&zip, 0);
  Put16(&zip, 0);
  Put16(&zip, count);
  Put16(&zip, count);
  Put32(&zip, static_cast<uint32_t>(central.size()));
  Put32(&zip, cd_offset);
  Put16(&zip, 0);
  return zip;
}

StatusOr<std::map<std::string, Tensor>> ReadNpzFile(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto region, env->MapFile(path));
  return ReadNpz(region->data(), path);
}

Status WriteNpzFile(Env* env, const std::string& path,
                    const std::map<std::string, Tensor>& tensors) {
  StatusOr<std::string> bytes = WriteNpz(tensors);
  if (!bytes.ok()) return bytes.status().WithContext(path);
  return env->WriteStringToFile(path, *bytes);
}

}  // namespace savedmodel
