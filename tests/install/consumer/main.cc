// Reserves adapter 5 for vfio_ap, makes an mdev with 05.0047 and prints
// its matrix: "05.0047".
#include <vap/vap.h>

#include <cstdio>

int main() {
  vap::SystemOptions options;
  options.periodic_scans = false;
  auto system = vap::System::Create(options);
  if (!system.ok()) return 1;
  vap::sysfs::Tree& t = (*system)->tree();
  const std::string u = "62177883-f1bb-47f0-914d-32a22e3a8804";
  const std::string m = "devices/vfio_ap/matrix/";
  if (!t.Write("bus/ap/apmask", "-5\n").ok() ||
      !t.Write(m + "mdev_supported_types/vfio_ap-passthrough/create", u).ok() ||
      !t.Write(m + u + "/assign_adapter", "5").ok() ||
      !t.Write(m + u + "/assign_domain", "0x47").ok())
    return 1;
  auto matrix = t.Read(m + u + "/matrix");
  if (!matrix.ok()) return 1;
  std::fputs(matrix->c_str(), stdout);
  return 0;
}
