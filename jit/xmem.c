/*
 * xmem.c -- executable memory blocks (xmem.h): the embedder's allocator when
 * weft_config.code_allocator supplies one, else the platform layer.
 */
#include "jit/xmem.h"

#include "jit/xmem_os.h"

static bool own(const weft_code_allocator *a) { return !a || !a->allocate; }

size_t xm_page_size(void) { return xm_os_page_size(); }

weft_status xm_alloc(const weft_code_allocator *a, size_t size, xm_block *out, weft_error *err)
{
    *out = (xm_block){0};
    if (size == 0)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET, "executable block of 0 bytes");
    size_t page = xm_os_page_size();
    if (size > SIZE_MAX - (page - 1))
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       "executable block of %zu bytes", size);
    size = (size + page - 1) & ~(page - 1);
    void *p = own(a) ? xm_os_map(size) : a->allocate(a->user, size);
    if (!p)
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       own(a) ? "cannot map %zu bytes for code"
                              : "the embedder's code allocator refused %zu bytes", size);
    *out = (xm_block){.ptr = p, .size = size, .executable = false};
    return WEFT_OK;
}

weft_status xm_seal(const weft_code_allocator *a, xm_block *b, weft_error *err)
{
    if (!b->ptr || b->executable)
        return err_set(err, WEFT_E_BAD_ARGUMENT, WEFT_NO_OFFSET,
                       b->ptr ? "code block already executable" : "no code block");
    int rc = own(a) ? xm_os_make_executable(b->ptr, b->size)
                    : a->make_executable(a->user, b->ptr, b->size);
    if (rc != 0) {
        xm_free(a, b);
        return err_set(err, WEFT_E_OUT_OF_MEMORY, WEFT_NO_OFFSET,
                       own(a) ? "cannot make code executable (mprotect refused)"
                              : "the embedder's make_executable failed");
    }
    b->executable = true;
    return WEFT_OK;
}

void xm_free(const weft_code_allocator *a, xm_block *b)
{
    if (!b->ptr)
        return;
    if (own(a))
        xm_os_unmap(b->ptr, b->size);
    else
        a->free(a->user, b->ptr, b->size);
    *b = (xm_block){0};
}
