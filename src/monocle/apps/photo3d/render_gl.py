"""Offscreen OpenGL renderer on moderngl over EGL: no display needed.

On a CPU-only machine EGL runs Mesa's software rasteriser (llvmpipe); where a GPU driver
exists, the GPU. The projection reproduces the pinhole model of :mod:`.render_torch`
exactly (pixel centres at integers, perspective-correct texture coordinates), so the two
renderers agree up to the rasterisation rule on edges that pass exactly through a pixel centre.
"""

from __future__ import annotations

import numpy as np

from monocle.apps.photo3d.mesh import Mesh
from monocle.apps.photo3d.render_torch import Frame

VERTEX_SHADER = """
#version 330
uniform mat3 rotation_t;   // source-to-novel rotation
uniform vec3 centre;       // novel camera centre in the source frame
uniform vec4 intrinsics;   // fx, fy, cx, cy
uniform vec2 size;         // width, height
uniform vec2 clip;         // near, far
in vec3 in_position;
in vec3 in_texel;          // Mesh.homogeneous_uv
out vec3 v_texel;
void main() {
    vec3 p = rotation_t * (in_position - centre);
    float u = intrinsics.x * p.x / p.z + intrinsics.z;
    float v = intrinsics.y * p.y / p.z + intrinsics.w;
    // Row v of the framebuffer is image row v (read back without a flip).
    float x_ndc = 2.0 * (u + 0.5) / size.x - 1.0;
    float y_ndc = 2.0 * (v + 0.5) / size.y - 1.0;
    float n = clip.x, f = clip.y;
    float z_clip = ((f + n) * p.z - 2.0 * f * n) / (f - n);
    gl_Position = vec4(x_ndc * p.z, y_ndc * p.z, z_clip, p.z);
    v_texel = in_texel;
}
"""

# The whole texturing rule, shared with the torch renderer and the WebGL viewer: one
# interpolated homogeneous texel (Mesh.homogeneous_uv), divided per fragment.
FRAGMENT_SHADER = """
#version 330
uniform sampler2D atlas;
uniform vec2 atlas_size;   // texture width, height
in vec3 v_texel;
layout(location = 0) out vec4 colour;
layout(location = 1) out float depth;
void main() {
    colour = texture(atlas, (v_texel.xy / v_texel.z + 0.5) / atlas_size);
    depth = 1.0 / gl_FragCoord.w;
}
"""


class GLRenderer:
    """Renders one :class:`Mesh` offscreen; ``render(pose, K)`` -> :class:`Frame`.

    Raises RuntimeError (with the reason) where no EGL context can be created.
    """

    name = "egl"

    def __init__(self, mesh: Mesh, size: tuple[int, int]):
        try:
            import moderngl

            self.ctx = moderngl.create_standalone_context(backend="egl")
        except Exception as err:  # missing package, libEGL, or driver: all mean "no EGL"
            raise RuntimeError(f"no EGL OpenGL context ({type(err).__name__}: {err})") from err
        self.size = (int(size[0]), int(size[1]))
        self.mesh = mesh
        ctx = self.ctx
        self.program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=FRAGMENT_SHADER)
        tex_h, tex_w = mesh.texture.shape[:2]
        data = np.hstack([mesh.vertices, mesh.homogeneous_uv()]).astype("f4")
        self.vbo = ctx.buffer(data.tobytes())
        self.ibo = ctx.buffer(mesh.faces.astype("u4").tobytes())
        self.vao = ctx.vertex_array(
            self.program,
            [(self.vbo, "3f 3f", "in_position", "in_texel")],
            index_buffer=self.ibo,
        )
        self.program["atlas_size"].value = (tex_w, tex_h)
        self.texture = ctx.texture(
            (tex_w, tex_h), 3, np.ascontiguousarray(mesh.texture).tobytes(), alignment=1
        )
        self.texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.texture.repeat_x = self.texture.repeat_y = False
        height, width = self.size
        self.colour = ctx.renderbuffer((width, height), 4)
        self.depth_target = ctx.renderbuffer((width, height), 1, dtype="f4")
        self.fbo = ctx.framebuffer(
            color_attachments=[self.colour, self.depth_target],
            depth_attachment=ctx.depth_renderbuffer((width, height)),
        )
        z = mesh.vertices[:, 2]
        self._z_range = (float(z.min()), float(z.max())) if len(z) else (1.0, 2.0)

    def render(self, pose: np.ndarray, K: np.ndarray) -> Frame:
        """The mesh seen by a camera at ``pose`` (4,4 novel-to-source) with intrinsics ``K``."""
        height, width = self.size
        pose = np.asarray(pose, dtype=np.float64)
        K = np.asarray(K, dtype=np.float64)
        # A clip range from the mesh's own depth span, widened by how far the camera moved.
        moved = float(np.linalg.norm(pose[:3, 3]))
        near = max(1e-4, 0.5 * (self._z_range[0] - moved))
        far = 2.0 * (self._z_range[1] + moved)
        program = self.program
        # GLSL mat3 uniforms are column-major: writing R row-major hands the shader R^T.
        program["rotation_t"].write(pose[:3, :3].astype("f4").tobytes())
        program["centre"].value = tuple(pose[:3, 3])
        program["intrinsics"].value = (K[0, 0], K[1, 1], K[0, 2], K[1, 2])
        program["size"].value = (width, height)
        program["clip"].value = (near, far)
        self.fbo.use()
        self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self.ctx.enable(self.ctx.DEPTH_TEST)
        self.texture.use(0)
        self.vao.render()
        # Straight into the frame's own arrays: no intermediate bytes object to copy.
        rgb = np.empty((height, width, 3), np.uint8)
        depth = np.empty((height, width), np.float32)
        self.fbo.read_into(rgb, components=3, attachment=0, alignment=1)
        self.fbo.read_into(depth, components=1, attachment=1, dtype="f4", alignment=1)
        return Frame(rgb, depth, depth > 0)

    def close(self) -> None:
        """Release the OpenGL objects and the context."""
        for item in (self.vao, self.vbo, self.ibo, self.texture, self.fbo, self.colour):
            item.release()
        self.depth_target.release()
        self.ctx.release()
