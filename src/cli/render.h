// Human output of the vap command for each method's result.
#ifndef VAP_CLI_RENDER_H_
#define VAP_CLI_RENDER_H_

#include <string>

#include "rpc/dispatcher.h"

namespace vap::cli {

std::string RenderHost(const rpc::Json& r);
std::string RenderGuest(const rpc::Json& r);
std::string RenderGuestList(const rpc::Json& r);
std::string RenderPqap(const rpc::Json& r);
std::string RenderExplain(const rpc::Json& r);
std::string RenderLog(const rpc::Json& r);
std::string RenderList(const rpc::Json& r);
std::string RenderInfo(const rpc::Json& r);

}  // namespace vap::cli

#endif  // VAP_CLI_RENDER_H_
