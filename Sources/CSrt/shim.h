// libsrt's API and its access-control reject codes (SRT_REJX_*), as Debian's libsrt-openssl-dev installs them.
#include <srt/srt.h>
#include <srt/access_control.h>
