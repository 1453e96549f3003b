"""Source skeletons of the motion capture in ../shared/mocap, named in one shared vocabulary.

Every rig (a BVH or ASF naming scheme) maps its own joint names onto the *semantic points* below;
every body model maps the same points onto its own joints (core.priors.body_points). Retargeting
then matches semantic points, so a new rig or a new body model is one table, not new code.

Semantic points (``_l`` / ``_r`` = the subject's left / right):
- ``pelvis``: the rig's root (only read to find the up axis and the handedness);
- position targets: ``hip``, ``knee``, ``ankle``, ``shoulder``, ``elbow``, ``wrist`` (joint
  centres), ``neck`` (base of the neck), ``head`` (top of the neck, where the head turns),
  ``toe`` (ball of the foot, the toe joint);
- direction targets, from an anchor joint, that fix the twists positions leave free:
  ``hand_end`` (finger tips, from the wrist), ``thumb`` (thumb tip, from the wrist),
  ``toe_end`` (toe tip, from the ankle), ``bigtoe`` / ``pinkytoe`` (from the ankle),
  ``head_end`` (top of the head, from ``head``), ``eye`` (from ``head``);
- ``spine``: the rig's joints strictly between the pelvis and the neck, bottom up, and
  ``neck_mid``: those strictly between the neck and the head. Their counts differ between rigs
  (1-3 here, Anny has 4 and 2); each is matched at the same fraction of the chain's length.

Joints are the BVH joint heads (or, for ASF, the end of the bone of that name); a BVH End Site
is the point ``<joint>_end``. ``detect_rig`` picks the table whose names a file has.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import StudioError

#: Semantic direction targets: (tip, anchor).
DIRECTION_POINTS = (("hand_end", "wrist"), ("thumb", "wrist"), ("toe_end", "ankle"),
                    ("bigtoe", "ankle"), ("pinkytoe", "ankle"), ("head_end", "head"),
                    ("eye", "head"))
#: The points the per-frame residual (``error_mm``) is measured on; every rig has them. (The
#: pelvis, each rig's root, is no target: rigs put it anywhere from the hip joints' height to
#: 10 cm above them; the hips carry it.)
CORE_POINTS = ("hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r",
               "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "wrist_l", "wrist_r",
               "neck", "head")
_MIDLINE = ("pelvis", "neck", "head", "head_end")


def sided(points: dict[str, str], left: str, right: str) -> dict[str, str]:
    """Expand ``{"knee": "{S}Knee"}``-style templates into ``knee_l`` / ``knee_r`` entries."""
    out = {}
    for key, name in points.items():
        if key in _MIDLINE:
            out[key] = name
        else:
            out[key + "_l"] = name.format(S=left)
            out[key + "_r"] = name.format(S=right)
    return out


@dataclass(frozen=True)
class RigMapping:
    """One source skeleton's names for the semantic points.

    name: short id written into the retargeted files (``rig``).
    points: semantic point -> source joint name (``<joint>_end`` for an End Site).
    spine, neck_mid: source joints strictly between pelvis and neck / neck and head, bottom up.
    fps_note: why a folder's true frame rate differs from its files' headers, if it does.
    """

    name: str
    points: dict[str, str]
    spine: tuple[str, ...] = ()
    neck_mid: tuple[str, ...] = ()
    description: str = ""
    fps_note: str = field(default="", compare=False)

    def names(self) -> set[str]:
        return set(self.points.values()) | set(self.spine) | set(self.neck_mid)


#: CMU's 31-joint BVH as converted by amc2bvh (fairmotion/tests/data/01_01.bvh). Its Spine1 sits
#: on Neck (the thorax has zero length) and LowerBack on the hips, so they are no spine points.
#: The three CMU 31-joint tables leave the thumb out: its 3-4 cm segment jitters (the angle of
#: the thumb about the forearm jumps by more than 90 degrees between frames in 5 % of the frames
#: of 131_01), so it would twist the forearm at random; the finger end stays.
CMU31 = RigMapping(
    "cmu31", sided({"pelvis": "Hips", "hip": "{S}UpLeg", "knee": "{S}Leg", "ankle": "{S}Foot",
                    "toe": "{S}ToeBase", "toe_end": "{S}ToeBase_end", "neck": "Neck",
                    "head": "Head", "head_end": "Head_end", "shoulder": "{S}Arm",
                    "elbow": "{S}ForeArm", "wrist": "{S}Hand"}, "Left", "Right")
    | sided({"hand_end": "{S}Fingers_end"}, "L", "R"),
    spine=("Spine",), neck_mid=("Neck1",),
    description="CMU 31-joint BVH (amc2bvh names: LeftUpLeg, LeftArm, ...)")

#: The same 31-joint CMU skeleton with the 3ds-Max-friendly names (bvh11, AnimatedDrawings).
CMU31_MAX = RigMapping(
    "cmu31_max", sided({"pelvis": "Hips", "hip": "{S}Hip", "knee": "{S}Knee",
                        "ankle": "{S}Ankle", "toe": "{S}Toe", "toe_end": "{S}Toe_end",
                        "neck": "lowerneck", "head": "Head", "head_end": "Head_end",
                        "shoulder": "{S}Shoulder", "elbow": "{S}Elbow", "wrist": "{S}Wrist"},
                       "Left", "Right")
    | sided({"hand_end": "{S}Fingers_end"}, "L", "R"),
    spine=("Chest",), neck_mid=("Neck",),
    description="CMU 31-joint BVH (3ds Max names: LeftHip, LeftShoulder, ...)")

#: CMU's ASF/AMC skeleton; each point is the end of the named bone.
CMU_ASF = RigMapping(
    "cmu_asf", sided({"pelvis": "root", "hip": "{S}hipjoint", "knee": "{S}femur",
                      "ankle": "{S}tibia", "toe": "{S}foot", "toe_end": "{S}toes",
                      "neck": "thorax", "head": "upperneck", "head_end": "head",
                      "shoulder": "{S}clavicle", "elbow": "{S}humerus", "wrist": "{S}radius",
                      "hand_end": "{S}fingers"}, "l", "r"),
    spine=("lowerback", "upperback"), neck_mid=("lowerneck",),
    description="CMU ASF/AMC (bone ends: lfemur = knee, ...)")

#: The "Daz-friendly" 43-joint CMU conversion with fingers and eyes (acLSTM_cmu).
DAZ43 = RigMapping(
    "daz43", sided({"pelvis": "hip", "hip": "{S}Thigh", "knee": "{S}Shin", "ankle": "{S}Foot",
                    "toe_end": "{S}Foot_end", "neck": "neck", "head": "head",
                    "eye": "{S}Eye", "shoulder": "{S}Shldr", "elbow": "{S}ForeArm",
                    "wrist": "{S}Hand", "hand_end": "{S}Mid2_end", "thumb": "{S}Thumb2_end"},
                   "l", "r")
    | sided({"eye": "{S}Eye"}, "left", "right"),
    spine=("abdomen", "chest"),
    description="CMU Daz-friendly BVH, 43 joints with fingers (hip, abdomen, lThigh, ...)",
    fps_note="acLSTM_cmu's readme gives salsa 60 fps; its files say 120")

#: Reallusion Character Creator rig (IClone-CMU-Mocap), ~100 joints with toes, fingers, eyes.
CC_BASE = RigMapping(
    "cc_base", sided({"pelvis": "CC_Base_Hip", "hip": "CC_Base_{S}_Thigh",
                      "knee": "CC_Base_{S}_Calf", "ankle": "CC_Base_{S}_Foot",
                      "toe": "CC_Base_{S}_ToeBase", "bigtoe": "CC_Base_{S}_BigToe1",
                      "pinkytoe": "CC_Base_{S}_PinkyToe1", "neck": "CC_Base_NeckTwist01",
                      "head": "CC_Base_Head", "eye": "CC_Base_{S}_Eye",
                      "shoulder": "CC_Base_{S}_Upperarm", "elbow": "CC_Base_{S}_Forearm",
                      "wrist": "CC_Base_{S}_Hand", "hand_end": "CC_Base_{S}_Mid3_end",
                      "thumb": "CC_Base_{S}_Thumb3_end"}, "L", "R"),
    spine=("CC_Base_Waist", "CC_Base_Spine01", "CC_Base_Spine02"),
    neck_mid=("CC_Base_NeckTwist02",),
    description="Reallusion CC rig, ~100 joints (CC_Base_Hip, CC_Base_L_Thigh, ...)")

#: Every known rig, most specific first.
RIGS: tuple[RigMapping, ...] = (CC_BASE, DAZ43, CMU31, CMU31_MAX, CMU_ASF)


def detect_rig(names: list[str] | set[str], source: str = "the clip") -> RigMapping:
    """The rig whose names ``names`` (joints and ``<joint>_end`` end sites) contain.

    Raises StudioError when no table fits (a skeleton that is not a human of a known rig)."""
    have = set(names)
    for rig in RIGS:
        if rig.names() <= have:
            return rig
    best = max(RIGS, key=lambda r: len(r.names() & have))
    missing = sorted(best.names() - have)[:4]
    raise StudioError(f"{source} is not a human skeleton of a known rig (closest: {best.name}, "
                      f"missing {', '.join(missing)}); add its names to core/priors/rigs.py.")
