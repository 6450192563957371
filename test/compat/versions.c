/* The compatibility job's check that a build uses the mbedTLS and libxml2 it was pointed at:
 * prints "mbedtls <compiled> <running>" and "libxml2 <compiled> <running>". */
#include <libxml/xmlversion.h>
#include <libxml/parser.h>
#include <mbedtls/version.h>

#include <stdio.h>

int main(void)
{
    char run[32];
    mbedtls_version_get_string(run);
    printf("mbedtls %s %s\n", MBEDTLS_VERSION_STRING, run);
    LIBXML_TEST_VERSION
    printf("libxml2 %s %s\n", LIBXML_DOTTED_VERSION, xmlParserVersion);
    return 0;
}
